// A repository's object database held in memory. Objects live back to back in large arena chunks and are found through an
// open-addressing hash table keyed by the binary SHA-1, so the memory held stays close to the raw bytes of the objects
// (a Map of Buffers costs ~150 bytes per object, which dominates for small trees and commits).
//
// Chunks and index live in SharedArrayBuffers so worker threads can read the store without a copy (snapshot()): objects
// are immutable and the store append-only, and every object gets the next position in an insertion log, so a worker
// handed the arrays and the object count of one moment sees exactly the objects stored up to it, however the main thread
// goes on writing. A slot's position is published last, with an atomic store, after its key and record are written.
import { writeHexId } from '../git/hex.js';
import { GitObject, ObjectId, ObjectReader, ObjectType, hashObject } from '../git/objects.js';

export const CHUNK_BYTES = 1 << 20;
/** Objects at least this large get a chunk of their own, so a big blob never wastes the tail of a shared chunk. */
export const DEDICATED_BYTES = CHUNK_BYTES >> 2;
/** A record is type (1 byte), length (4, little-endian) and the object's bytes. */
export const RECORD_HEADER = 5;
export const TYPE_CODES: Readonly<Record<ObjectType, number>> = { commit: 1, tree: 2, blob: 3, tag: 4 };
export const TYPE_NAMES: readonly ObjectType[] = ['commit', 'commit', 'tree', 'blob', 'tag'];
const MIN_SLOTS = 64;

/** Zeroed shared memory: what chunks and index arrays are made of. */
export function sharedBuffer(bytes: number): Buffer<SharedArrayBuffer> {
  return Buffer.from(new SharedArrayBuffer(bytes));
}

function sharedU32(length: number): Uint32Array<SharedArrayBuffer> {
  return new Uint32Array(new SharedArrayBuffer(length * 4));
}

// Hex ids decode into one scratch key: lookups are the hot path of every read, and Buffer.from(hex) is a call into C++
// plus an allocation. The scratch is consumed before the next decode (find and insert use it at once).
const scratchKey = Buffer.alloc(20);

/** The binary key of a 40-digit hex id in the shared scratch buffer, or undefined when `id` is not one. */
export function hexKey(id: string): Buffer | undefined {
  return writeHexId(id, scratchKey, 0) ? scratchKey : undefined;
}

/** The first slot to probe for a key. */
export function homeSlot(key: Uint8Array, mask: number): number {
  return (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) & mask;
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
const adoptable = new WeakSet<SharedArrayBuffer>();

/** Lets stores index records of `chunk` in place: objects whose `data` is a view of one of its records are not copied. */
export function offerChunk(chunk: SharedArrayBuffer): void {
  adoptable.add(chunk);
}

/** What a worker needs to read a store as it was at one moment (see object-snapshot.ts). Cloned by reference. */
export interface StoreSnapshot {
  chunks: SharedArrayBuffer[];
  /** 20 bytes per slot. */
  keys: SharedArrayBuffer;
  /** u32 per slot: 1-based position in the insertion log, 0 = empty. */
  posOf: SharedArrayBuffer;
  /** u32 per position: 1-based chunk. */
  chunkAt: SharedArrayBuffer;
  /** u32 per position: offset of the record in its chunk. */
  offsetAt: SharedArrayBuffer;
  slots: number;
  /** Objects in the snapshot: positions 1..count. */
  count: number;
  /** Sum of their sizes. */
  objectBytes: number;
}

export class ObjectStore implements ObjectReader {
  private readonly arena = new Arena();
  private slots = 0;
  private count = 0;
  // Slot i holds key bytes [i*20, i*20+20) and the object's 1-based position (0 = empty).
  private keys = sharedBuffer(0);
  private posOf = sharedU32(0);
  // Position p (0-based) holds the record's chunk (1-based) and offset.
  private chunkAt = sharedU32(MIN_SLOTS);
  private offsetAt = sharedU32(MIN_SLOTS);
  private rawBytes = 0;
  /** Offered chunks already taken over, with their index in the arena. */
  private adopted = new WeakMap<SharedArrayBuffer, number>();

  constructor() {
    this.resize(MIN_SLOTS);
  }

  get size(): number {
    return this.count;
  }

  /** Sum of object content sizes, what git would call the objects' raw bytes. */
  get objectBytes(): number {
    return this.rawBytes;
  }

  /** Bytes this store holds: arena chunks plus the index. */
  get memoryBytes(): number {
    return this.arena.bytes + this.keys.length + this.posOf.byteLength + this.chunkAt.byteLength + this.offsetAt.byteLength;
  }

  has(id: ObjectId): boolean {
    const key = hexKey(id);
    return key !== undefined && this.find(key) >= 0;
  }

  readObject(id: ObjectId): GitObject | undefined {
    const key = hexKey(id);
    const slot = key === undefined ? -1 : this.find(key);
    if (slot < 0) return undefined;
    return this.recordAt(this.posOf[slot] - 1);
  }

  /** Stores an object and returns its id; storing an object that is already present is a no-op. */
  put(type: ObjectType, data: Buffer): ObjectId {
    const id = hashObject(type, data);
    this.putWithId(id, type, data);
    return id;
  }

  /** Stores an object whose id the caller has already computed from these very bytes. */
  putWithId(id: ObjectId, type: ObjectType, data: Buffer): void {
    const key = hexKey(id);
    if (key === undefined) throw new Error(`not an object id: ${id}`);
    if (this.find(key) >= 0) return;
    if ((this.count + 1) * 10 > this.slots * 7) this.resize(this.slots * 2);
    const [chunk, offset] = this.adoptRecord(type, data) ?? this.arena.append(type, data);
    const pos = this.count;
    if (pos === this.chunkAt.length) this.growLog();
    this.chunkAt[pos] = chunk;
    this.offsetAt[pos] = offset;
    this.insert(key, pos + 1);
    this.count++;
    this.rawBytes += data.length;
  }

  *ids(): IterableIterator<ObjectId> {
    for (let i = 0; i < this.slots; i++) {
      if (this.posOf[i] !== 0) yield this.keys.toString('hex', i * 20, i * 20 + 20);
    }
  }

  *objects(): IterableIterator<GitObject & { id: ObjectId }> {
    for (let i = 0; i < this.slots; i++) {
      if (this.posOf[i] === 0) continue;
      const o = this.recordAt(this.posOf[i] - 1);
      yield { id: this.keys.toString('hex', i * 20, i * 20 + 20), type: o.type, data: o.data };
    }
  }

  /** The store as it is now, for a worker to read while this thread goes on writing (see object-snapshot.ts). */
  snapshot(): StoreSnapshot {
    return {
      chunks: this.arena.chunks.map((c) => c.buffer as SharedArrayBuffer),
      keys: this.keys.buffer,
      posOf: this.posOf.buffer,
      chunkAt: this.chunkAt.buffer,
      offsetAt: this.offsetAt.buffer,
      slots: this.slots,
      count: this.count,
      objectBytes: this.rawBytes,
    };
  }

  private recordAt(pos: number): GitObject {
    const chunk = this.arena.chunks[this.chunkAt[pos] - 1];
    const off = this.offsetAt[pos];
    const len = chunk.readUInt32LE(off + 1);
    // A view, not a copy: objects are immutable once stored.
    return { type: TYPE_NAMES[chunk[off]], data: chunk.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len) };
  }

  /** When `data` is the body of a record in an offered chunk, that record's location (taking the chunk over once). */
  private adoptRecord(type: ObjectType, data: Buffer): [number, number] | undefined {
    const sab = data.buffer;
    if (!(sab instanceof SharedArrayBuffer) || !adoptable.has(sab)) return undefined;
    const off = data.byteOffset - RECORD_HEADER;
    if (off < 0) return undefined;
    const view = new DataView(sab);
    if (view.getUint8(off) !== TYPE_CODES[type] || view.getUint32(off + 1, true) !== data.length) return undefined;
    let index = this.adopted.get(sab);
    if (index === undefined) {
      index = this.arena.adopt(Buffer.from(sab));
      this.adopted.set(sab, index);
    }
    return [index, off];
  }

  private find(key: Uint8Array): number {
    const mask = this.slots - 1;
    let i = homeSlot(key, mask);
    for (;;) {
      if (this.posOf[i] === 0) return -1;
      if (this.keyEquals(i, key)) return i;
      i = (i + 1) & mask;
    }
  }

  private keyEquals(slot: number, key: Uint8Array): boolean {
    const base = slot * 20;
    for (let j = 19; j >= 0; j--) if (this.keys[base + j] !== key[j]) return false;
    return true;
  }

  private insert(key: Uint8Array, pos: number): void {
    const mask = this.slots - 1;
    let i = homeSlot(key, mask);
    while (this.posOf[i] !== 0) i = (i + 1) & mask;
    this.keys.set(key, i * 20);
    // Published last: a worker reading the slot atomically sees the key and the record written before it.
    Atomics.store(this.posOf, i, pos);
  }

  private growLog(): void {
    const chunkAt = sharedU32(this.chunkAt.length * 2);
    const offsetAt = sharedU32(this.offsetAt.length * 2);
    chunkAt.set(this.chunkAt);
    offsetAt.set(this.offsetAt);
    this.chunkAt = chunkAt;
    this.offsetAt = offsetAt;
  }

  private resize(slots: number): void {
    const oldKeys = this.keys;
    const oldPos = this.posOf;
    const oldSlots = this.slots;
    // New arrays: a worker holding the old ones keeps a consistent (older) index.
    this.slots = slots;
    this.keys = sharedBuffer(slots * 20);
    this.posOf = sharedU32(slots);
    for (let i = 0; i < oldSlots; i++) {
      if (oldPos[i] !== 0) this.insert(oldKeys.subarray(i * 20, i * 20 + 20), oldPos[i]);
    }
  }
}
