// A change record (persistence/change-codec.ts's layout) produced piece by piece, without the whole record in memory:
// [u8 version=2][f64 seq][f64 epoch][u32 objectCount] { [u8 type][20-byte id][u32 length][data] }* [u32 jsonLength][json]
// What a primary streams to replicas (snapshots, large changes) from a worker; encodeChange gives the same bytes at once.
import { writeHexId } from '../git/hex.js';
import type { Change, StoredObject } from '../store/repository.js';

const RECORD_VERSION = 2;
const TYPE_CODES: Record<StoredObject['type'], number> = { commit: 0, tree: 1, blob: 2, tag: 3 };

export interface RecordHeader {
  seq: number;
  epoch: number;
}

/** The record's bytes in pieces (object data as given, not copied); `json` is its `{refs, meta}` part. */
export function* recordBody(header: RecordHeader, objects: Iterable<StoredObject>, count: number, json: string): Generator<Buffer> {
  const head = Buffer.alloc(21);
  head[0] = RECORD_VERSION;
  head.writeDoubleLE(header.seq, 1);
  head.writeDoubleLE(header.epoch, 9);
  head.writeUInt32LE(count, 17);
  yield head;
  let n = 0;
  for (const o of objects) {
    const h = Buffer.allocUnsafe(25);
    h[0] = TYPE_CODES[o.type];
    if (!writeHexId(o.id, h, 1)) throw new Error(`not an object id: ${o.id}`);
    h.writeUInt32LE(o.data.length, 21);
    yield h;
    yield o.data;
    n++;
  }
  if (n !== count) throw new Error(`record holds ${n} objects, expected ${count}`);
  const tail = Buffer.from(json);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(tail.length);
  yield len;
  yield tail;
}

/** The `{refs, meta}` part of a change's record, exactly as encodeChange writes it. */
export function changeJson(change: Pick<Change, 'refs' | 'meta'>): string {
  return JSON.stringify(change.meta ? { refs: change.refs, meta: change.meta } : { refs: change.refs });
}
