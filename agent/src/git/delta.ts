// Git's delta encoding (the payload of OFS_DELTA and REF_DELTA pack entries): two size varints (base, result)
// followed by copy-from-base and insert-literal instructions. See git's patch-delta.c / pack-format.txt.
import { constants as bufferConstants } from 'node:buffer';
import { GitFormatError } from './objects.js';

/**
 * Largest object this engine will materialise; a delta claiming more is rejected before anything is allocated. Capped at
 * 4 GiB so the limit is the same on every Node version (Node 22+ allows far larger Buffers than Node 20).
 */
export const MAX_OBJECT_SIZE = Math.min(bufferConstants.MAX_LENGTH, 2 ** 32);

/** Reads a delta header size (7 bits per byte, little-endian, high bit = more). Returns [value, nextPos]. */
function readSize(delta: Buffer, pos: number, what: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (;;) {
    if (pos >= delta.length) throw new GitFormatError(`truncated delta header (${what} size)`);
    const c = delta[pos++];
    value += (c & 0x7f) * scale;
    if (value > MAX_OBJECT_SIZE) throw new GitFormatError(`delta ${what} size too large (over ${MAX_OBJECT_SIZE} bytes)`);
    if ((c & 0x80) === 0) return [value, pos];
    scale *= 128;
  }
}

/** Reads the header of a delta without applying it. */
export function deltaSizes(delta: Buffer): { baseSize: number; resultSize: number; opsStart: number } {
  const [baseSize, p1] = readSize(delta, 0, 'base');
  const [resultSize, p2] = readSize(delta, p1, 'result');
  return { baseSize, resultSize, opsStart: p2 };
}

interface CopyOp {
  offset: number;
  size: number;
  next: number;
}

/** Decodes a copy instruction whose opcode byte is at delta[pos - 1]. */
function readCopy(delta: Buffer, op: number, pos: number): CopyOp {
  let offset = 0;
  let size = 0;
  // Each present byte is flagged by one opcode bit; offset is up to 4 bytes, size up to 3, little-endian.
  for (let bit = 0; bit < 4; bit++) {
    if (op & (1 << bit)) {
      if (pos >= delta.length) throw new GitFormatError('truncated delta copy instruction');
      offset += delta[pos++] * 2 ** (8 * bit);
    }
  }
  for (let bit = 0; bit < 3; bit++) {
    if (op & (0x10 << bit)) {
      if (pos >= delta.length) throw new GitFormatError('truncated delta copy instruction');
      size |= delta[pos++] << (8 * bit);
    }
  }
  if (size === 0) size = 0x10000;
  return { offset, size, next: pos };
}

/**
 * Applies a git delta to `base`. Validates the declared base size, every copy range and insert length, and that
 * the output is exactly the declared result size. Any inconsistency throws GitFormatError. The result buffer is
 * only allocated after a validation pass has proved the instructions produce exactly that many bytes.
 */
export function applyDelta(base: Buffer, delta: Buffer): Buffer {
  const { baseSize, resultSize, opsStart } = deltaSizes(delta);
  if (baseSize !== base.length) {
    throw new GitFormatError(`delta base size mismatch: delta expects ${baseSize} bytes, base has ${base.length}`);
  }

  // Pass 1: validate every instruction and total the output without allocating.
  let produced = 0;
  let pos = opsStart;
  while (pos < delta.length) {
    const op = delta[pos++];
    if (op & 0x80) {
      const c = readCopy(delta, op, pos);
      if (c.offset + c.size > baseSize) {
        throw new GitFormatError(`delta copy out of range: offset ${c.offset} size ${c.size} exceeds base of ${baseSize} bytes`);
      }
      produced += c.size;
      pos = c.next;
    } else if (op !== 0) {
      if (pos + op > delta.length) throw new GitFormatError('truncated delta insert instruction');
      produced += op;
      pos += op;
    } else {
      throw new GitFormatError('invalid delta opcode 0');
    }
    if (produced > resultSize) {
      throw new GitFormatError(`delta produces more than its declared result size of ${resultSize} bytes`);
    }
  }
  if (produced !== resultSize) {
    throw new GitFormatError(`delta produces ${produced} bytes but declares ${resultSize}`);
  }

  // Pass 2: build the result; all bounds were checked above.
  const out = Buffer.allocUnsafe(resultSize);
  let o = 0;
  pos = opsStart;
  while (pos < delta.length) {
    const op = delta[pos++];
    if (op & 0x80) {
      const c = readCopy(delta, op, pos);
      o += base.copy(out, o, c.offset, c.offset + c.size);
      pos = c.next;
    } else {
      o += delta.copy(out, o, pos, pos + op);
      pos += op;
    }
  }
  return out;
}
