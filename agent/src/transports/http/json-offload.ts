// JSON request bodies: small ones are parsed here, large ones (≥ 1 MiB) in a worker thread together with the heavy part
// of a commit body — decoding and hashing each large file content into a store record (workers/json-body-task.ts).
// Both use the same parse function (workers/json-parse.ts). A route finds a file's prepared content with
// takePreparedContent(file) (the entry's content string stays in the worker); validation still runs on the parsed value
// here, as for any body.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Limits } from '../../limits.js';
import type { JsonBodyTaskInput, JsonBodyTaskOutput, PreparedContent } from '../../workers/json-body-task.js';
import { parseJsonBuffer } from '../../workers/json-parse.js';
import { runInWorker } from '../../workers/pool.js';
import { ownedBytes } from '../../workers/transfer.js';
import { collectBody } from './body-collector.js';

/** Bodies at least this large are parsed in a worker: below it parsing costs less than a millisecond or two. */
export const OFFLOAD_JSON_BYTES = 1 << 20;

const preparedFiles = new WeakMap<object, PreparedContent>();

/**
 * The content a worker prepared for this file entry of a parsed body (the entry's own `content` is then ''): found by
 * the entry object itself, which the worker's parse made. Asked again, it answers the same.
 */
export function takePreparedContent(file: { content: string; encoding?: string }): PreparedContent | undefined {
  const p = preparedFiles.get(file);
  if (p === undefined) return undefined;
  if (p.encoding !== (file.encoding ?? 'utf8')) throw new Error('a prepared file entry was changed after parsing');
  return p;
}

export function installJsonBodyParser(app: FastifyInstance, limits: Limits, bodyLimit: number): void {
  app.removeContentTypeParser('application/json');
  // Read into place as it arrives (body-collector.ts): no concatenation of a large body on the event loop.
  app.addContentTypeParser('application/json', async (req: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const body = await collectBody(req, payload, bodyLimit);
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
