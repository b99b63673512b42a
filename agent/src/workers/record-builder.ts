// Objects a worker made (a merge's trees, blobs and commit) laid out as store records in shared memory, the form the
// main thread's store adopts without a copy (store/record-batch.ts), as imports hand theirs over.
import type { StoredObject } from '../store/repository.js';
import { Arena, TYPE_CODES } from '../store/arena.js';
import type { RecordBatchData } from '../store/record-batch.js';

export function toRecordBatch(objects: readonly StoredObject[]): RecordBatchData {
  const arena = new Arena();
  const chunkOf = new Uint32Array(objects.length);
  const offsets = new Uint32Array(objects.length);
  const lengths = new Uint32Array(objects.length);
  const types = new Uint8Array(objects.length);
  let ids = '';
  objects.forEach((o, i) => {
    const [chunk, offset] = arena.append(o.type, o.data);
    chunkOf[i] = chunk - 1;
    offsets[i] = offset;
    lengths[i] = o.data.length;
    types[i] = TYPE_CODES[o.type];
    ids += o.id;
  });
  return {
    chunks: arena.chunks.map((c) => c.buffer as SharedArrayBuffer),
    ids,
    keys: Buffer.from(ids, 'hex'),
    chunkOf, offsets, lengths, types,
  };
}
