// JSON request bodies: small ones are parsed here, large ones (≥ 1 MiB) in a worker thread together with the heavy part
// of a commit body — decoding and hashing each large file content into a store record (workers/json-body-task.ts).
// Both use the same parse function (workers/json-parse.ts). A route finds a file's prepared content with
// takePreparedContent(file); validation still runs on the parsed value here, as for any body.
import type { FastifyInstance } from 'fastify';
import type { Limits } from '../../limits.js';
import type { JsonBodyTaskInput, JsonBodyTaskOutput, PreparedContent } from '../../workers/json-body-task.js';
import { parseJsonBuffer } from '../../workers/json-parse.js';
import { runInWorker } from '../../workers/pool.js';
import { ownedBytes } from '../../workers/transfer.js';

/** Bodies at least this large are parsed in a worker: below it parsing costs less than a millisecond or two. */
export const OFFLOAD_JSON_BYTES = 1 << 20;

const preparedFiles = new WeakMap<object, PreparedContent>();

/** The content a worker prepared for this file entry of a parsed body, if it still matches it. */
export function takePreparedContent(file: { content: string; encoding?: string }): PreparedContent | undefined {
  const p = preparedFiles.get(file);
  if (p === undefined) return undefined;
  preparedFiles.delete(file);
  return p.chars === file.content.length && p.encoding === (file.encoding ?? 'utf8') ? p : undefined;
}

export function installJsonBodyParser(app: FastifyInstance, limits: Limits): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, async (_req: unknown, body: Buffer) => {
    if (body.length < OFFLOAD_JSON_BYTES) return parseJsonBuffer(body);
    const input: JsonBodyTaskInput = { body: ownedBytes(body), maxObjectBytes: limits.maxObjectBytes };
    const out = await runInWorker<JsonBodyTaskOutput>('parseJsonBody', input, [input.body.buffer as ArrayBuffer]);
    const files = (out.value as { files?: unknown[] }).files;
    for (const p of out.prepared) {
      const f = files?.[p.file];
      if (f !== null && typeof f === 'object') preparedFiles.set(f, p);
    }
    return out.value;
  });
}
