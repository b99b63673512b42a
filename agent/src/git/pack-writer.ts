// Writes git v2 packs: every object stored whole (no deltas), zlib-compressed, followed by the SHA-1 trailer.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { GitFormatError, type GitObject } from './objects.js';
import { CODE_BY_TYPE, PACK_SIGNATURE } from './pack-reader.js';

const MAX_PACK_OBJECTS = 0xffffffff;

/** The entry header: type in bits 4-6 of the first byte, size as a little-endian varint (4 bits, then 7 per byte). */
export function encodeEntryHeader(code: number, size: number): Buffer {
  const out = Buffer.allocUnsafe(10);
  return out.subarray(0, writeEntryHeader(out, 0, code, size));
}

function writeEntryHeader(out: Buffer, pos: number, code: number, size: number): number {
  let c = (code << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    out[pos++] = c | 0x80;
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  out[pos++] = c;
  return pos;
}

/**
 * zlib state sized to the data: a window no larger than the data compresses the same and is far cheaper to set up
 * for the small objects that dominate repositories (any zlib reader, git included, inflates it). The output chunk
 * is sized to hold the whole result, so small outputs come from Node's buffer pool instead of a fresh 16 KiB
 * allocation each (which deflateSync's result would otherwise keep alive).
 */
function zlibOptions(size: number): { windowBits: number; memLevel: number; chunkSize: number } {
  let windowBits = 9;
  while (windowBits < 15 && 1 << windowBits < size + 262) windowBits++;
  const memLevel = Math.min(8, Math.max(1, windowBits - 6));
  const chunkSize = Math.min(Math.max(size + (size >> 3) + 64, 64), 1 << 16);
  return { windowBits, memLevel, chunkSize };
}

export function deflateObject(data: Buffer): Buffer {
  return deflateSync(data, zlibOptions(data.length));
}

/** A growable output buffer: entries are copied in as they are produced, so nothing per-object is retained. */
class Output {
  buf: Buffer;
  len = 0;
  constructor(initial: number) {
    this.buf = Buffer.allocUnsafe(Math.max(initial, 1024));
  }
  reserve(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }
  append(b: Buffer): void {
    this.reserve(b.length);
    this.len += b.copy(this.buf, this.len);
  }
  /** The written bytes, copied to an exact-size buffer unless little capacity would be wasted. */
  result(): Buffer {
    const used = this.buf.subarray(0, this.len);
    return this.buf.length - this.len > this.len >> 4 ? Buffer.from(used) : used;
  }
}

/**
 * Writes a v2 pack of the given objects, undeltified, zlib-compressed, with the trailing SHA-1. `count`, when given,
 * lets the objects be streamed from an iterable without first collecting them; it must match what is produced.
 */
export function writePack(objects: Iterable<GitObject>, count?: number): Buffer {
  let source: Iterable<GitObject> = objects;
  let n: number;
  if (count === undefined) {
    const list = Array.isArray(objects) ? (objects as GitObject[]) : [...objects];
    source = list;
    n = list.length;
  } else {
    if (!Number.isInteger(count) || count < 0) throw new RangeError(`invalid object count ${count}`);
    n = count;
  }
  if (n > MAX_PACK_OBJECTS) throw new RangeError(`too many objects for one pack (${n})`);

  const out = new Output(64 * 1024);
  out.reserve(12);
  out.buf.write(PACK_SIGNATURE, 0, 'latin1');
  out.buf.writeUInt32BE(2, 4);
  out.buf.writeUInt32BE(n, 8);
  out.len = 12;

  let written = 0;
  for (const obj of source) {
    if (++written > n) throw new RangeError(`writePack: more objects than the declared count ${n}`);
    const code = CODE_BY_TYPE[obj.type];
    if (code === undefined) throw new GitFormatError(`cannot pack object of type ${JSON.stringify(obj.type)}`);
    out.reserve(10);
    out.len = writeEntryHeader(out.buf, out.len, code, obj.data.length);
    out.append(deflateObject(obj.data));
  }
  if (written !== n) throw new RangeError(`writePack: declared ${n} objects but got ${written}`);
  const digest = createHash('sha1').update(out.buf.subarray(0, out.len)).digest();
  out.append(digest);
  return out.result();
}

/**
 * The same pack as writePack, produced in pieces of about `pieceBytes` for streaming: `add` each object, `take` the
 * pieces completed so far, `finish` for the last piece with the trailing SHA-1. Memory held is one piece plus one
 * object's compressed bytes, whatever the pack's size.
 */
export class PackEncoder {
  private readonly hash = createHash('sha1');
  private piece: Buffer;
  private used = 0;
  private ready: Buffer[] = [];
  private added = 0;

  constructor(
    private readonly count: number,
    private readonly pieceBytes = 1 << 20,
  ) {
    if (!Number.isInteger(count) || count < 0 || count > MAX_PACK_OBJECTS) throw new RangeError(`invalid object count ${count}`);
    this.piece = Buffer.allocUnsafe(pieceBytes);
    const header = Buffer.alloc(12);
    header.write(PACK_SIGNATURE, 0, 'latin1');
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(count, 8);
    this.write(header);
  }

  add(obj: GitObject): void {
    if (++this.added > this.count) throw new RangeError(`PackEncoder: more objects than the declared count ${this.count}`);
    const code = CODE_BY_TYPE[obj.type];
    if (code === undefined) throw new GitFormatError(`cannot pack object of type ${JSON.stringify(obj.type)}`);
    this.write(encodeEntryHeader(code, obj.data.length));
    this.write(deflateObject(obj.data));
  }

  /** Pieces completed since the last call. */
  take(): Buffer[] {
    const out = this.ready;
    this.ready = [];
    return out;
  }

  /** The remaining pieces, the last one ending with the pack's SHA-1. */
  finish(): Buffer[] {
    if (this.added !== this.count) throw new RangeError(`PackEncoder: declared ${this.count} objects but got ${this.added}`);
    this.flush();
    this.ready.push(this.hash.digest());
    return this.take();
  }

  private write(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      const n = bytes.copy(this.piece, this.used, at);
      this.used += n;
      at += n;
      if (this.used === this.piece.length) this.flush();
    }
  }

  private flush(): void {
    if (this.used === 0) return;
    const done = this.piece.subarray(0, this.used);
    this.hash.update(done);
    this.ready.push(done);
    this.piece = Buffer.allocUnsafe(this.pieceBytes);
    this.used = 0;
  }
}
