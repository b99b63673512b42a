// Binary encoding of a Change, shared by the on-disk journal and the replication stream:
// [u8 version=2][f64 seq][f64 epoch][u32 objectCount] { [u8 type][20-byte id][u32 length][data] }* [u32 jsonLength][json {refs, meta}]
// Version 1 records (no epoch; written before replication) still decode, with epoch 0. The journal writes a change as
// pieces (encodeChangePieces), large objects straight from their own buffers; replication takes it in one buffer.
import { writeHexId } from '../git/hex.js';
import { GitFormatError, ObjectType } from '../git/objects.js';
import { RECORD_HEADER as ARENA_RECORD_HEADER } from '../store/arena.js';
import type { Change, StoredObject } from '../store/change.js';
import { BatchObject } from '../store/record-batch.js';

const VERSION = 2;
const TYPES: ObjectType[] = ['commit', 'tree', 'blob', 'tag'];

/** Objects at least this large are referenced by the journal's gathered write as they are, never copied. */
export const GATHER_MIN_BYTES = 16 * 1024;

export interface ChangePieces {
  /**
   * The encoding as consecutive buffers: the record's own bytes (headers, small objects, the JSON) in pieces of one
   * buffer, and each object of at least `gatherMin` bytes as its own buffer, uncopied.
   */
  pieces: Buffer[];
  /** Their total length, `reserve` included. */
  length: number;
}

/** An object's length without making a view of it (a worker's batch keeps lengths apart). */
function lengthOf(o: StoredObject): number {
  return o instanceof BatchObject ? o.batch.lengths[o.index] : o.data.length;
}

/**
 * Encodes `change` after `reserve` free bytes at the front (where the journal puts its record header) as a list of
 * pieces for a gathered write: objects of `gatherMin` bytes or more are not copied (a 100 MiB file is written from
 * the buffer it already is in), smaller ones are copied next to their headers — tens of thousands of tiny views kept
 * alive until an asynchronous write completes would cost the young generation more than the copy does.
 */
export function encodeChangePieces(change: Change, reserve = 0, gatherMin = GATHER_MIN_BYTES): ChangePieces {
  const json = JSON.stringify(change.meta ? { refs: change.refs, meta: change.meta } : { refs: change.refs });
  const jsonLength = Buffer.byteLength(json);
  let own = reserve + 1 + 8 + 8 + 4 + 4 + jsonLength;
  let length = own;
  for (const o of change.objects) {
    const n = lengthOf(o);
    own += 25 + (n < gatherMin ? n : 0);
    length += 25 + n;
  }
  const buf = Buffer.allocUnsafe(own);
  const pieces: Buffer[] = [];
  let from = 0;
  let at = reserve;
  buf[at++] = VERSION;
  at = buf.writeDoubleLE(change.seq, at);
  at = buf.writeDoubleLE(change.epoch, at);
  at = buf.writeUInt32LE(change.objects.length, at);
  for (const o of change.objects) {
    buf[at++] = TYPES.indexOf(o.type);
    if (o instanceof BatchObject) {
      const { batch, index } = o;
      buf.set(batch.keys.subarray(index * 20, index * 20 + 20), at);
      const n = batch.lengths[index];
      at = buf.writeUInt32LE(n, at + 20);
      const chunk = batch.chunks[batch.chunkOf[index]];
      const start = batch.offsets[index] + ARENA_RECORD_HEADER;
      if (n < gatherMin) {
        at += chunk.copy(buf, at, start, start + n);
        continue;
      }
      pieces.push(buf.subarray(from, at), chunk.subarray(start, start + n));
    } else {
      if (!writeHexId(o.id, buf, at)) throw new Error(`not an object id: ${o.id}`);
      const data = o.data;
      at = buf.writeUInt32LE(data.length, at + 20);
      if (data.length < gatherMin) {
        buf.set(data, at);
        at += data.length;
        continue;
      }
      pieces.push(buf.subarray(from, at), data);
    }
    from = at;
  }
  at = buf.writeUInt32LE(jsonLength, at);
  buf.write(json, at, 'utf8');
  pieces.push(buf.subarray(from));
  return { pieces, length };
}

/** Journal records encoded ahead by a worker (a replica's large change), by change: see withJournalRecord. */
const encodedAhead = new WeakMap<Change, Buffer>();

/**
 * Applies `change` with `record` — encodeChange(change, the journal's record header), made by a worker — as its journal
 * record, so the journal does not encode it again on the event loop; the record is let go of once `apply` returns.
 */
export function withJournalRecord<T>(change: Change, record: Buffer | undefined, apply: () => T): T {
  if (record === undefined) return apply();
  encodedAhead.set(change, record);
  try {
    return apply();
  } finally {
    encodedAhead.delete(change);
  }
}

/** The record a worker encoded for `change` (withJournalRecord), if any; taken once. */
export function takeJournalRecord(change: Change): Buffer | undefined {
  const record = encodedAhead.get(change);
  encodedAhead.delete(change);
  return record;
}

/**
 * Encodes `change` after `reserve` free bytes at the front, so the journal can put its record header there without
 * copying the payload again.
 */
export function encodeChange(change: Change, reserve = 0): Buffer {
  const { pieces, length } = encodeChangePieces(change, reserve, Infinity);
  return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, length);
}

export function decodeChange(buf: Buffer): Change {
  const need = (at: number, n: number) => {
    if (at + n > buf.length) throw new GitFormatError('truncated change record');
  };
  need(0, 13);
  const version = buf[0];
  if (version !== 1 && version !== VERSION) throw new GitFormatError(`unknown change record version ${version}`);
  const seq = buf.readDoubleLE(1);
  let at = 9;
  let epoch = 0;
  if (version >= 2) {
    need(at, 12);
    epoch = buf.readDoubleLE(at);
    at += 8;
  }
  const count = buf.readUInt32LE(at);
  at += 4;
  const objects: StoredObject[] = [];
  for (let i = 0; i < count; i++) {
    need(at, 25);
    const type = TYPES[buf[at]];
    if (!type) throw new GitFormatError(`bad object type code ${buf[at]}`);
    const id = buf.toString('hex', at + 1, at + 21);
    const len = buf.readUInt32LE(at + 21);
    at += 25;
    need(at, len);
    objects.push({ id, type, data: buf.subarray(at, at + len) });
    at += len;
  }
  need(at, 4);
  const jsonLen = buf.readUInt32LE(at);
  at += 4;
  need(at, jsonLen);
  const parsed = JSON.parse(buf.toString('utf8', at, at + jsonLen)) as Pick<Change, 'refs' | 'meta'>;
  return parsed.meta ? { seq, epoch, objects, refs: parsed.refs, meta: parsed.meta } : { seq, epoch, objects, refs: parsed.refs };
}

/**
 * The length of the change encoded at the start of a byte range of `available` bytes, found by walking its structure
 * (object and JSON lengths) without looking at the data; undefined when the walk runs past the range or the version is
 * unknown. `read(at, n)` returns the n bytes at offset `at` of the range. The journal uses it to tell a torn record from
 * a complete one whose length field was damaged.
 */
export function encodedChangeLength(read: (at: number, n: number) => Buffer, available: number): number | undefined {
  if (available < 13) return undefined;
  const version = read(0, 1)[0];
  if (version !== 1 && version !== VERSION) return undefined;
  let at = version >= 2 ? 17 : 9;
  if (at + 4 > available) return undefined;
  const count = read(at, 4).readUInt32LE(0);
  at += 4;
  if (count * 25 > available - at) return undefined;
  for (let i = 0; i < count; i++) {
    if (at + 25 > available) return undefined;
    at += 25 + read(at + 21, 4).readUInt32LE(0);
  }
  if (at + 4 > available) return undefined;
  at += 4 + read(at, 4).readUInt32LE(0);
  return at <= available ? at : undefined;
}
