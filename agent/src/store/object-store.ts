// A repository's object database held in memory. Objects live back to back in large arena chunks and are found through an
// open-addressing hash table keyed by the binary SHA-1, so the memory held stays close to the raw bytes of the objects
// (a Map of Buffers costs ~150 bytes per object, which dominates for small trees and commits).
//
// Chunks and index live in SharedArrayBuffers so worker threads can read the store without a copy (snapshot()): objects
// are immutable and the store append-only, and every object gets the next position in an insertion log, so a worker
// handed the arrays and the object count of one moment sees exactly the objects stored up to it, however the main thread
// goes on writing. A slot's position is published last, with an atomic store, after its key and record are written.
//
// The index grows by doubling. A small one is rehashed at once; a large one (a rehash of millions of slots held the
// event loop 60-270 ms) grows incrementally: the doubled table is filled while the current one stays authoritative for
// lookups, inserts and snapshots — every insert goes into both and moves a few more old slots across — and replaces it
// once complete, long before the current one gets crowded.
import { writeHexId } from '../git/hex.js';
import { GitObject, ObjectId, ObjectReader, ObjectType, hashObject } from '../git/objects.js';
import { Arena, offeredChunk, RECORD_HEADER, sharedBuffer, TYPE_CODES, TYPE_NAMES } from './arena.js';
import { idsWithPrefix } from './id-prefix.js';
import { BatchObject } from './record-batch.js';

const MIN_SLOTS = 64;
/** Indexes of up to this many objects are rehashed at once when they grow (a few milliseconds). */
const REHASH_AT_ONCE = 1 << 16;
/** Old slots moved into a growing index per insert: done by the time the current one is 0.6 + 1/8 full. */
const GROWTH_STEP = 8;

/** A doubled index being filled while the current one is still in use (incremental growth). */
interface Growth {
  keys: Buffer<SharedArrayBuffer>;
  posOf: Uint32Array<SharedArrayBuffer>;
  slots: number;
  /** Old slots below this have been moved. */
  cursor: number;
  /** Objects at positions up to this were in the index when growth began (later ones went into both). */
  upTo: number;
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

/** The first slot to probe for the key at `at` in `bytes`. */
export function homeSlot(bytes: Uint8Array, mask: number, at = 0): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) & mask;
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
  /** XOR of every id stored, kept as objects arrive (anti-entropy compares it instead of walking every id). */
  private readonly fold = Buffer.alloc(20);
  /** Offered chunks already taken over, with their index in the arena. */
  private adopted = new WeakMap<SharedArrayBuffer, number>();
  private growth: Growth | undefined;

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

  /** The XOR of all object ids (20 bytes): order-independent, so two stores with the same objects agree. A copy. */
  get idFold(): Buffer {
    return Buffer.from(this.fold);
  }

  /** Bytes this store holds: arena chunks plus the index. */
  get memoryBytes(): number {
    const growing = this.growth ? this.growth.keys.length + this.growth.posOf.byteLength : 0;
    return this.arena.bytes + this.keys.length + this.posOf.byteLength + this.chunkAt.byteLength + this.offsetAt.byteLength + growing;
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
    this.makeRoom();
    const [chunk, offset] = this.adoptRecord(type, data) ?? this.arena.append(type, data);
    this.record(key, 0, chunk, offset, data.length);
  }

  /** Logs and indexes a record already in the arena under the key at `at` in `keys` (not yet present). */
  private record(keys: Uint8Array, at: number, chunk: number, offset: number, length: number): void {
    const pos = this.count;
    if (pos === this.chunkAt.length) this.growLog();
    this.chunkAt[pos] = chunk;
    this.offsetAt[pos] = offset;
    this.insert(keys, at, pos + 1);
    if (this.growth) {
      insertInto(this.growth.keys, this.growth.posOf, this.growth.slots, keys, at, pos + 1);
      this.grow(GROWTH_STEP);
    }
    for (let j = 0; j < 20; j++) this.fold[j] ^= keys[at + j];
    this.count++;
    this.rawBytes += length;
  }

  /** Before an insert: keeps the index under 0.6 full (0.85 while a larger one is being filled). */
  private makeRoom(): void {
    if (this.growth) {
      if ((this.count + 1) * 100 > this.slots * 85) this.grow(this.slots);
    } else if ((this.count + 1) * 10 > this.slots * 6) {
      if (this.count < REHASH_AT_ONCE) this.resize(this.slots * 2);
      else {
        const slots = this.slots * 2;
        this.growth = { keys: sharedBuffer(slots * 20), posOf: sharedU32(slots), slots, cursor: 0, upTo: this.count };
      }
    }
  }

  /** Moves up to `n` more old slots into the growing index; swaps it in once all are. */
  private grow(n: number): void {
    const g = this.growth!;
    const end = Math.min(this.slots, g.cursor + n);
    for (let i = g.cursor; i < end; i++) {
      const pos = this.posOf[i];
      if (pos !== 0 && pos <= g.upTo) insertInto(g.keys, g.posOf, g.slots, this.keys, i * 20, pos);
    }
    g.cursor = end;
    if (end < this.slots) return;
    // New arrays: a worker holding the old ones keeps a consistent (older) index.
    this.keys = g.keys;
    this.posOf = g.posOf;
    this.slots = g.slots;
    this.growth = undefined;
  }

  /**
   * Sizes a small index once for `more` objects to come, instead of doubling (and rehashing) repeatedly on the way. A
   * large one is left to grow incrementally: rehashing it at once is what must not happen.
   */
  reserve(more: number): void {
    if (this.growth || this.count >= REHASH_AT_ONCE) return;
    let slots = this.slots;
    while ((this.count + more) * 10 > slots * 6) slots *= 2;
    if (slots !== this.slots) this.resize(slots);
  }

  /** Stores an object with its id: a BatchObject is indexed where it lies, anything else goes through putWithId. */
  putObject(o: GitObject & { id: ObjectId }): void {
    if (!(o instanceof BatchObject)) return this.putWithId(o.id, o.type, o.data);
    const { batch, index } = o;
    const at = index * 20;
    if (this.find(batch.keys, at) >= 0) return;
    this.makeRoom();
    const chunk = batch.chunks[batch.chunkOf[index]];
    const sab = chunk.buffer as SharedArrayBuffer;
    let chunkIndex = this.adopted.get(sab);
    if (chunkIndex === undefined) {
      chunkIndex = this.arena.adopt(chunk);
      this.adopted.set(sab, chunkIndex);
    }
    this.record(batch.keys, at, chunkIndex, batch.offsets[index], batch.lengths[index]);
  }

  /** Ids starting with `prefix` (1-40 lowercase hex digits), at most `limit` (see id-prefix.ts). */
  idsWithPrefix(prefix: string, limit = 16): ObjectId[] {
    return idsWithPrefix({ keys: this.keys, posOf: this.posOf, slots: this.slots, maxPos: Infinity }, prefix, limit);
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
    if (!(sab instanceof SharedArrayBuffer)) return undefined;
    const chunk = offeredChunk(sab);
    const off = data.byteOffset - RECORD_HEADER;
    if (chunk === undefined || off < 0) return undefined;
    const len = chunk[off + 1] | (chunk[off + 2] << 8) | (chunk[off + 3] << 16) | (chunk[off + 4] * 2 ** 24);
    if (chunk[off] !== TYPE_CODES[type] || len !== data.length) return undefined;
    let index = this.adopted.get(sab);
    if (index === undefined) {
      index = this.arena.adopt(chunk);
      this.adopted.set(sab, index);
    }
    return [index, off];
  }

  /** The slot of the key at `at` in `bytes`, or -1. */
  private find(bytes: Uint8Array, at = 0): number {
    const mask = this.slots - 1;
    let i = homeSlot(bytes, mask, at);
    for (;;) {
      if (this.posOf[i] === 0) return -1;
      if (this.keyEquals(i, bytes, at)) return i;
      i = (i + 1) & mask;
    }
  }

  private keyEquals(slot: number, bytes: Uint8Array, at: number): boolean {
    const base = slot * 20;
    for (let j = 19; j >= 0; j--) if (this.keys[base + j] !== bytes[at + j]) return false;
    return true;
  }

  private insert(bytes: Uint8Array, at: number, pos: number): void {
    insertInto(this.keys, this.posOf, this.slots, bytes, at, pos);
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
      if (oldPos[i] !== 0) this.insert(oldKeys, i * 20, oldPos[i]);
    }
  }
}

/** Puts the key at `at` in `bytes` into an index (keys, positions, slot count) at the first free slot of its run. */
function insertInto(keys: Uint8Array, posOf: Uint32Array, slots: number, bytes: Uint8Array, at: number, pos: number): void {
  const mask = slots - 1;
  let i = homeSlot(bytes, mask, at);
  while (posOf[i] !== 0) i = (i + 1) & mask;
  const base = i * 20;
  for (let j = 0; j < 20; j++) keys[base + j] = bytes[at + j];
  // Published last: a worker reading the slot atomically sees the key and the record written before it.
  Atomics.store(posOf, i, pos);
}
