// Writes git v2 packs: every object stored whole (no deltas), zlib-compressed, followed by the SHA-1 trailer.
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { GitFormatError, type GitObject } from './objects.js';
import { CODE_BY_TYPE, PACK_SIGNATURE } from './pack-reader.js';

const MAX_PACK_OBJECTS = 0xffffffff;

/** The entry header: type in bits 4-6 of the first byte, size as a little-endian varint (4 bits, then 7 per byte). */
export function encodeEntryHeader(code: number, size: number): Buffer {
  const bytes: number[] = [];
  let c = (code << 4) | (size & 0x0f);
  let rest = Math.floor(size / 16);
  while (rest > 0) {
    bytes.push(c | 0x80);
    c = rest & 0x7f;
    rest = Math.floor(rest / 128);
  }
  bytes.push(c);
  return Buffer.from(bytes);
}

/**
 * A zlib window no larger than the data needs compresses identically and is much cheaper to set up for the small
 * objects that dominate repositories; any zlib reader (git included) inflates it.
 */
function windowBitsFor(size: number): number {
  let bits = 9;
  while (bits < 15 && 1 << bits < size + 262) bits++;
  return bits;
}

export function deflateObject(data: Buffer): Buffer {
  return deflateSync(data, { windowBits: windowBitsFor(data.length) });
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

  const hash = createHash('sha1');
  const chunks: Buffer[] = [];
  const push = (b: Buffer) => {
    hash.update(b);
    chunks.push(b);
  };
  const header = Buffer.alloc(12);
  header.write(PACK_SIGNATURE, 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(n, 8);
  push(header);

  let written = 0;
  for (const obj of source) {
    if (++written > n) throw new RangeError(`writePack: more objects than the declared count ${n}`);
    const code = CODE_BY_TYPE[obj.type];
    if (code === undefined) throw new GitFormatError(`cannot pack object of type ${JSON.stringify(obj.type)}`);
    push(encodeEntryHeader(code, obj.data.length));
    push(deflateObject(obj.data));
  }
  if (written !== n) throw new RangeError(`writePack: declared ${n} objects but got ${written}`);
  chunks.push(hash.digest());
  return Buffer.concat(chunks);
}
