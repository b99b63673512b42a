// A batch of new objects a worker wrote as records in offered arena chunks (an import's new objects): handed to the main
// thread as is, turned into objects any store takes in place — no copy, no hex decode, no retained view per object.
import type { ObjectId, ObjectType } from '../git/objects.js';
import { offerChunk, RECORD_HEADER, TYPE_NAMES } from './arena.js';

/**
 * New objects a worker wrote as records in chunks a store may adopt (transferable as is): object i has id
 * `ids[40i, 40i+40)`, store type code `types[i]`, and its bytes at `offsets[i] + RECORD_HEADER` of `chunks[chunkOf[i]]`.
 */
export interface RecordBatchData {
  chunks: SharedArrayBuffer[];
  ids: string;
  /** The same ids in binary, 20 bytes each. */
  keys: Uint8Array;
  chunkOf: Uint32Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
  types: Uint8Array;
}

export interface RecordBatch extends Omit<RecordBatchData, 'chunks'> {
  chunks: Buffer[];
}

/**
 * One object of a batch. Its bytes are a view made on each use rather than kept: hundreds of thousands of retained Buffer
 * views would each survive the young generation, and copying them there stalls the event loop longer than they save.
 * A store takes it in place (putObject), without a copy, a hex decode or a view.
 */
export class BatchObject {
  readonly type: ObjectType;
  constructor(
    readonly batch: RecordBatch,
    readonly index: number,
  ) {
    this.type = TYPE_NAMES[batch.types[index]];
  }

  /** Made on each use too: hundreds of thousands of retained strings would cost the young generation the same. */
  get id(): ObjectId {
    return this.batch.ids.slice(this.index * 40, this.index * 40 + 40);
  }

  get data(): Buffer {
    const b = this.batch;
    const start = b.offsets[this.index] + RECORD_HEADER;
    return b.chunks[b.chunkOf[this.index]].subarray(start, start + b.lengths[this.index]);
  }
}

/** A worker's batch with its chunks offered to stores. */
export function openBatch(data: RecordBatchData): RecordBatch {
  return { ...data, chunks: data.chunks.map(offerChunk) };
}

/** Objects [start, end) of a batch, as objects any store can take in place: made a range at a time. */
export function batchRange(batch: RecordBatch, start: number, end: number): BatchObject[] {
  const out: BatchObject[] = new Array(end - start);
  for (let i = start; i < end; i++) out[i - start] = new BatchObject(batch, i);
  return out;
}

/** A worker's batch as objects any store can take in place (its chunks are offered). */
export function batchObjects(data: RecordBatchData): BatchObject[] {
  return batchRange(openBatch(data), 0, data.offsets.length);
}
