// The record arena: objects stored back to back as records — type (1 byte), length (4, little-endian), the object's
// bytes — in chunks of shared memory (SharedArrayBuffers), so a worker can write records the main thread's store takes
// over without a copy, and a worker can read the store's own chunks (object-snapshot.ts). Used by ObjectStore and by
// the workers building objects for it.
import type { ObjectType } from '../git/objects.js';

export const CHUNK_BYTES = 1 << 20;
/** Objects at least this large get a chunk of their own, so a big blob never wastes the tail of a shared chunk. */
export const DEDICATED_BYTES = CHUNK_BYTES >> 2;
/** A record is type (1 byte), length (4, little-endian) and the object's bytes. */
export const RECORD_HEADER = 5;
export const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const TYPE_NAMES: readonly ObjectType[] = ['commit', 'commit', 'tree', 'blob', 'tag'];
/** Zeroed shared memory: what chunks and index arrays are made of. */
export function sharedBuffer(bytes: number): Buffer<SharedArrayBuffer> {
  return Buffer.from(new SharedArrayBuffer(bytes));
}

/** Records appended back to back in chunks; the store uses one, and so do workers building objects a store will adopt. */
export class Arena {
  readonly chunks: Buffer[] = [];
  private tail: Buffer = Buffer.alloc(0);
  private tailUsed = 0;
  private tailIndex = 0;
  /** Bytes of all chunks. */
  bytes = 0;

  /** Appends a record; returns its chunk (1-based index into `chunks`) and offset. */
  append(type: ObjectType, data: Uint8Array): [number, number] {
    const need = RECORD_HEADER + data.length;
    let chunk: Buffer;
    let index: number;
    let offset: number;
    if (need >= DEDICATED_BYTES) {
      chunk = sharedBuffer(need);
      index = this.chunks.push(chunk);
      this.bytes += need;
      offset = 0;
    } else {
      if (this.tailUsed + need > this.tail.length) {
        // Small repositories start with a small chunk; chunks double up to CHUNK_BYTES.
        const size = Math.min(CHUNK_BYTES, Math.max(4096, this.tail.length * 2, need));
        this.tail = sharedBuffer(size);
        this.tailUsed = 0;
        this.tailIndex = this.chunks.push(this.tail);
        this.bytes += size;
      }
      chunk = this.tail;
      index = this.tailIndex;
      offset = this.tailUsed;
      this.tailUsed += need;
    }
    chunk[offset] = TYPE_CODES[type];
    chunk.writeUInt32LE(data.length, offset + 1);
    chunk.set(data, offset + RECORD_HEADER);
    return [index, offset];
  }

  /** Takes over a chunk written elsewhere; returns its index. */
  adopt(chunk: Buffer): number {
    this.bytes += chunk.length;
    return this.chunks.push(chunk);
  }
}

/** Chunks written outside a store (by a worker) in its record format, which a store may index instead of copying. */
const adoptable = new WeakMap<SharedArrayBuffer, Buffer>();

/** The chunk as a Buffer if it was offered, else undefined. */
export function offeredChunk(chunk: SharedArrayBuffer): Buffer | undefined {
  return adoptable.get(chunk);
}

/**
 * Lets stores index records of `chunk` in place: objects whose `data` is a view of one of its records are not copied.
 * Returns the chunk as a Buffer.
 */
export function offerChunk(chunk: SharedArrayBuffer): Buffer {
  let buf = adoptable.get(chunk);
  if (buf === undefined) adoptable.set(chunk, (buf = Buffer.from(chunk)));
  return buf;
}
