// Binary encoding of a Change, shared by the on-disk journal and the replication stream:
// [u8 version=2][f64 seq][f64 epoch][u32 objectCount] { [u8 type][20-byte id][u32 length][data] }* [u32 jsonLength][json {refs, meta}]
// Version 1 records (no epoch; written before replication) still decode, with epoch 0.
import { writeHexId } from '../git/hex.js';
import { GitFormatError, ObjectType } from '../git/objects.js';
import { Change, StoredObject } from '../store/repository.js';

const VERSION = 2;
const TYPES: ObjectType[] = ['commit', 'tree', 'blob', 'tag'];

/**
 * Encodes `change` after `reserve` free bytes at the front, so the journal can put its record header there without
 * copying the payload again.
 */
export function encodeChange(change: Change, reserve = 0): Buffer {
  const json = JSON.stringify(change.meta ? { refs: change.refs, meta: change.meta } : { refs: change.refs });
  const jsonLength = Buffer.byteLength(json);
  let size = reserve + 1 + 8 + 8 + 4 + 4 + jsonLength;
  for (const o of change.objects) size += 1 + 20 + 4 + o.data.length;
  const buf = Buffer.allocUnsafe(size);
  let at = reserve;
  buf[at++] = VERSION;
  at = buf.writeDoubleLE(change.seq, at);
  at = buf.writeDoubleLE(change.epoch, at);
  at = buf.writeUInt32LE(change.objects.length, at);
  for (const o of change.objects) {
    buf[at++] = TYPES.indexOf(o.type);
    if (!writeHexId(o.id, buf, at)) throw new Error(`not an object id: ${o.id}`);
    at = buf.writeUInt32LE(o.data.length, at + 20);
    buf.set(o.data, at);
    at += o.data.length;
  }
  at = buf.writeUInt32LE(jsonLength, at);
  buf.write(json, at, 'utf8');
  return buf;
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
