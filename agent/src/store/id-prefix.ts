// Finding the ids that start with a short hex prefix in an object index (ObjectStore's, or a worker's snapshot of it):
// shared so that `git rev-parse`-style short shas and abbreviations come out the same on either thread.
import type { ObjectId } from '../git/objects.js';

/** An object index as ObjectStore lays it out: 20 key bytes per slot, the slot's 1-based position (0 = empty). */
export interface IdIndex {
  keys: Buffer;
  posOf: Uint32Array;
  slots: number;
  /** Positions above this are not part of the index (a snapshot's later objects); Infinity for the live store. */
  maxPos: number;
}

/**
 * Ids starting with `prefix` (1-40 lowercase hex digits), at most `limit`. A key's home slot is its first four bytes
 * masked, so the prefix fixes some bits of the home slot; only the slots that agree with it (and their probe runs)
 * are visited: one or a few runs for 7 digits, a bounded number for 4.
 */
export function idsWithPrefix(index: IdIndex, prefix: string, limit = 16): ObjectId[] {
  if (!/^[0-9a-f]{1,40}$/.test(prefix)) return [];
  const { keys, posOf, maxPos } = index;
  const mask = index.slots - 1;
  let knownBits = 0;
  let knownValue = 0;
  for (let k = 0; k < Math.min(prefix.length, 8); k++) {
    const shift = (k >> 1) * 8 + (k % 2 === 0 ? 4 : 0);
    knownBits |= 0xf << shift;
    knownValue |= parseInt(prefix[k], 16) << shift;
  }
  const free = mask & ~knownBits;
  const fixed = knownValue & mask;
  const seen = new Set<number>();
  const out: ObjectId[] = [];
  let sub = 0;
  do {
    // A slot filled after a snapshot was empty when it was taken: no key of the snapshot probes past it.
    for (let i = (fixed | sub) >>> 0; ; i = (i + 1) & mask) {
      const pos = posOf[i];
      if (pos === 0 || pos > maxPos || seen.has(i)) break;
      seen.add(i);
      const id = keys.toString('hex', i * 20, i * 20 + 20);
      if (id.startsWith(prefix)) {
        out.push(id);
        if (out.length >= limit) return out;
      }
    }
    sub = (sub - free) & free;
  } while (sub !== 0);
  return out;
}
