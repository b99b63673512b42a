// How an import's new objects are cut into changes: each change takes at most CHUNK_OBJECTS objects and CHUNK_BYTES
// bytes (an object larger than that alone), so applying one — indexing its objects, encoding its journal record,
// announcing it to replication — holds the event loop for a bounded time (~5-30 ms) whatever the import's size, the
// way git receives a pack before it updates refs. The last chunk carries the ref updates.
import { linkOrder } from '../git/link-order.js';
import type { ObjectId, ObjectType } from '../git/objects.js';
import type { RecordBatchData } from './record-batch.js';

export interface ChunkLimits {
  objects: number;
  bytes: number;
}

/**
 * 5,000 objects: 0.4-3 µs each to index and record (idle to busy machine), plus the journal encoding; 8 MiB: copied
 * (~2 ms). Chunks of all running imports take turns (one per loop iteration: commands/bundle-import.ts).
 */
export const DEFAULT_CHUNK_LIMITS: Readonly<ChunkLimits> = Object.freeze({ objects: 5_000, bytes: 8 * 2 ** 20 });

/** [start, end) ranges over objects with these lengths, in order; always at least one (maybe empty) range. */
export function importChunks(lengths: ArrayLike<number>, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): [number, number][] {
  const out: [number, number][] = [];
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (i > start && (i - start >= limits.objects || bytes + lengths[i] > limits.bytes)) {
      out.push([start, i]);
      start = i;
      bytes = 0;
    }
    bytes += lengths[i];
  }
  out.push([start, lengths.length]);
  return out;
}

/** An import's new objects as the worker laid them out: object i is `fresh[i]`, its record at chunkOf[i]/offsets[i]. */
export interface FreshObjects {
  fresh: readonly { id: ObjectId; type: ObjectType; data: Buffer }[];
  chunks: SharedArrayBuffer[];
  chunkOf: readonly number[];
  offsets: readonly number[];
  lengths: readonly number[];
  types: readonly number[];
}

/**
 * The batch handed to the main thread. When it makes more than one chunk, objects go in link order (link-order.ts), so
 * every chunk links only to objects of earlier chunks or of itself: each change checks out on its own on a replica.
 */
export function chunkedBatch(o: FreshObjects, limits: ChunkLimits = DEFAULT_CHUNK_LIMITS): RecordBatchData {
  const n = o.fresh.length;
  let order: ArrayLike<number> | undefined;
  if (importChunks(o.lengths, limits).length > 1) {
    order = linkOrder({
      count: n,
      key: (i) => Buffer.from(o.fresh[i].id, 'hex'),
      type: (i) => o.fresh[i].type,
      data: (i) => o.fresh[i].data,
    });
  }
  const at = (i: number) => (order === undefined ? i : order[i]);
  const chunkOf = new Uint32Array(n);
  const offsets = new Uint32Array(n);
  const lengths = new Uint32Array(n);
  const types = new Uint8Array(n);
  const ids: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const j = at(i);
    chunkOf[i] = o.chunkOf[j];
    offsets[i] = o.offsets[j];
    lengths[i] = o.lengths[j];
    types[i] = o.types[j];
    ids[i] = o.fresh[j].id;
  }
  const joined = ids.join('');
  return { chunks: o.chunks, ids: joined, keys: Buffer.from(joined, 'hex'), chunkOf, offsets, lengths, types };
}
