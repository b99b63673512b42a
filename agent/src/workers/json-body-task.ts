// A large JSON request body, prepared in a worker: parsed (json-parse.ts), and each large file content of a commit body
// decoded (base64 or UTF-8) straight into a store record in shared memory and hashed, so that tens of MiB of content cost
// the main thread neither the parse, nor the decode, nor the SHA-1, nor a copy into the store (it adopts the record).
// Schema validation stays on the main thread, on the parsed value, exactly as for small bodies.
import { base64DecodedLength } from '../base64.js';
import { hashObject, type ObjectId } from '../git/objects.js';
import { RECORD_HEADER, TYPE_CODES } from '../store/arena.js';
import { parseJsonBuffer } from './json-parse.js';

/** File contents shorter than this are left to the main thread: preparing them costs more than it saves. */
export const PREPARE_CONTENT_CHARS = 64 * 1024;

export interface JsonBodyTaskInput {
  body: Uint8Array;
  maxObjectBytes: number;
}

/**
 * What was done for `files[file]` of the body. Its `content` comes back as '' (the prepared form replaces it), so a
 * route reads such a file only through takePreparedContent.
 */
export type PreparedContent = {
  file: number;
  /** What it was prepared from. */
  encoding: 'utf8' | 'base64';
  chars: number;
} & ({ kind: 'blob'; id: ObjectId; record: SharedArrayBuffer } | { kind: 'invalid_base64' } | { kind: 'too_large'; bytes: number });

export interface JsonBodyTaskOutput {
  value: unknown;
  prepared: PreparedContent[];
}

/** Decodes `content` into a blob record: [type][length][bytes], the layout ObjectStore adopts in place. */
function blobRecord(content: string, encoding: 'base64' | 'utf8', bytes: number): { record: SharedArrayBuffer; id: ObjectId } {
  const record = new SharedArrayBuffer(RECORD_HEADER + bytes);
  const buf = Buffer.from(record);
  buf[0] = TYPE_CODES.blob;
  buf.writeUInt32LE(bytes, 1);
  buf.write(content, RECORD_HEADER, encoding);
  return { record, id: hashObject('blob', buf.subarray(RECORD_HEADER)) };
}

export function jsonBodyTask({ body, maxObjectBytes }: JsonBodyTaskInput): JsonBodyTaskOutput {
  const value = parseJsonBuffer(body);
  const prepared: PreparedContent[] = [];
  const files = (value as { files?: unknown } | null)?.files;
  if (!Array.isArray(files)) return { value, prepared };
  for (let i = 0; i < files.length; i++) {
    const f = files[i] as { content?: unknown; encoding?: unknown } | null;
    // Only what the schema will accept as is; anything else is left for validation to refuse.
    if (f === null || typeof f !== 'object' || typeof f.content !== 'string' || f.content.length < PREPARE_CONTENT_CHARS) continue;
    const encoding = f.encoding === undefined ? 'utf8' : f.encoding;
    if (encoding !== 'utf8' && encoding !== 'base64') continue;
    const bytes = encoding === 'base64' ? base64DecodedLength(f.content) : Buffer.byteLength(f.content, 'utf8');
    const from = { file: i, encoding, chars: f.content.length } as const;
    if (bytes < 0) prepared.push({ ...from, kind: 'invalid_base64' });
    else if (bytes > maxObjectBytes) prepared.push({ ...from, kind: 'too_large', bytes });
    else prepared.push({ ...from, kind: 'blob', ...blobRecord(f.content, encoding, bytes) });
    // What was prepared does not travel back: cloning a 120 MiB string into the main thread held its loop ~70 ms.
    f.content = '';
  }
  return { value, prepared };
}
