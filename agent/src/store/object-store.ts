// A repository's object database held in memory. Objects live back to back in large arena chunks and are found through an
// open-addressing hash table keyed by the binary SHA-1, so the memory held stays close to the raw bytes of the objects
// (a Map of Buffers costs ~150 bytes per object, which dominates for small trees and commits).
import { writeHexId } from '../git/hex.js';
import { GitObject, ObjectId, ObjectReader, ObjectType, hashObject } from '../git/objects.js';

const CHUNK_BYTES = 1 << 20;
/** Objects at least this large get a chunk of their own, so a big blob never wastes the tail of a shared chunk. */
const DEDICATED_BYTES = CHUNK_BYTES >> 2;
const RECORD_HEADER = 5; // type (1) + length (4)
const TYPE_CODES: Record<ObjectType, number> = { commit: 1, tree: 2, blob: 3, tag: 4 };
const TYPE_NAMES: ObjectType[] = ['commit', 'commit', 'tree', 'blob', 'tag'];
const MIN_SLOTS = 64;

// Hex ids decode into one scratch key: lookups are the hot path of every read, and Buffer.from(hex) is a call into C++
// plus an allocation. The scratch is consumed before the next decode (find and insert use it at once).
const scratchKey = Buffer.alloc(20);

/** The binary key of a 40-digit hex id in the shared scratch buffer, or undefined when `id` is not one. */
function hexKey(id: string): Buffer | undefined {
  return writeHexId(id, scratchKey, 0) ? scratchKey : undefined;
}

export class ObjectStore implements ObjectReader {
  private chunks: Buffer[] = [];
  private tail: Buffer = Buffer.alloc(0);
  private tailUsed = 0;
  private tailIndex = 0;
  private slots = 0;
  private count = 0;
  // Slot i holds key bytes [i*20, i*20+20) and location chunk (1-based; 0 = empty) and offset.
  private keys = Buffer.alloc(0);
  private chunkOf = new Uint32Array(0);
  private offsetOf = new Uint32Array(0);
  private rawBytes = 0;
  private arenaBytes = 0;

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
    return this.arenaBytes + this.keys.length + this.chunkOf.byteLength + this.offsetOf.byteLength;
  }

  has(id: ObjectId): boolean {
    const key = hexKey(id);
    return key !== undefined && this.find(key) >= 0;
  }

  readObject(id: ObjectId): GitObject | undefined {
    const key = hexKey(id);
    const slot = key === undefined ? -1 : this.find(key);
    if (slot < 0) return undefined;
    const chunk = this.chunks[this.chunkOf[slot] - 1];
    const off = this.offsetOf[slot];
    const len = chunk.readUInt32LE(off + 1);
    // A view, not a copy: objects are immutable once stored.
    return { type: TYPE_NAMES[chunk[off]], data: chunk.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len) };
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
    const [chunk, offset] = this.append(type, data);
    this.insert(key, chunk, offset);
    this.count++;
    this.rawBytes += data.length;
  }

  /**
   * Ids starting with `prefix` (1-40 lowercase hex digits), at most `limit`. A key's home slot is its first four bytes
   * masked, so the prefix fixes some bits of the home slot; only the slots that agree with it (and their probe runs)
   * are visited: one or a few runs for 7 digits, a bounded number for 4.
   */
  idsWithPrefix(prefix: string, limit = 16): ObjectId[] {
    if (!/^[0-9a-f]{1,40}$/.test(prefix)) return [];
    const mask = this.slots - 1;
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
      for (let i = (fixed | sub) >>> 0; this.chunkOf[i] !== 0 && !seen.has(i); i = (i + 1) & mask) {
        seen.add(i);
        const id = this.keys.toString('hex', i * 20, i * 20 + 20);
        if (id.startsWith(prefix)) {
          out.push(id);
          if (out.length >= limit) return out;
        }
      }
      sub = (sub - free) & free;
    } while (sub !== 0);
    return out;
  }

  *ids(): IterableIterator<ObjectId> {
    for (let i = 0; i < this.slots; i++) {
      if (this.chunkOf[i] !== 0) yield this.keys.toString('hex', i * 20, i * 20 + 20);
    }
  }

  *objects(): IterableIterator<GitObject & { id: ObjectId }> {
    for (const id of this.ids()) {
      const o = this.readObject(id)!;
      yield { id, type: o.type, data: o.data };
    }
  }

  private append(type: ObjectType, data: Buffer): [number, number] {
    const need = RECORD_HEADER + data.length;
    let chunk: Buffer;
    let index: number;
    let offset: number;
    if (need >= DEDICATED_BYTES) {
      chunk = Buffer.allocUnsafeSlow(need);
      index = this.chunks.push(chunk);
      this.arenaBytes += need;
      offset = 0;
    } else {
      if (this.tailUsed + need > this.tail.length) {
        // Small repositories start with a small chunk; chunks double up to CHUNK_BYTES.
        const size = Math.min(CHUNK_BYTES, Math.max(4096, this.tail.length * 2, need));
        this.tail = Buffer.allocUnsafeSlow(size);
        this.tailUsed = 0;
        this.tailIndex = this.chunks.push(this.tail);
        this.arenaBytes += size;
      }
      chunk = this.tail;
      index = this.tailIndex;
      offset = this.tailUsed;
      this.tailUsed += need;
    }
    chunk[offset] = TYPE_CODES[type];
    chunk.writeUInt32LE(data.length, offset + 1);
    data.copy(chunk, offset + RECORD_HEADER);
    return [index, offset];
  }

  private find(key: Buffer): number {
    const mask = this.slots - 1;
    let i = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) & mask;
    for (;;) {
      if (this.chunkOf[i] === 0) return -1;
      if (this.keyEquals(i, key)) return i;
      i = (i + 1) & mask;
    }
  }

  private keyEquals(slot: number, key: Buffer): boolean {
    const base = slot * 20;
    for (let j = 19; j >= 0; j--) if (this.keys[base + j] !== key[j]) return false;
    return true;
  }

  private insert(key: Buffer, chunk: number, offset: number): void {
    const mask = this.slots - 1;
    let i = (key[0] | (key[1] << 8) | (key[2] << 16) | (key[3] << 24)) & mask;
    while (this.chunkOf[i] !== 0) i = (i + 1) & mask;
    key.copy(this.keys, i * 20);
    this.chunkOf[i] = chunk;
    this.offsetOf[i] = offset;
  }

  private resize(slots: number): void {
    const oldKeys = this.keys;
    const oldChunk = this.chunkOf;
    const oldOffset = this.offsetOf;
    const oldSlots = this.slots;
    this.slots = slots;
    this.keys = Buffer.alloc(slots * 20);
    this.chunkOf = new Uint32Array(slots);
    this.offsetOf = new Uint32Array(slots);
    for (let i = 0; i < oldSlots; i++) {
      if (oldChunk[i] !== 0) this.insert(oldKeys.subarray(i * 20, i * 20 + 20), oldChunk[i], oldOffset[i]);
    }
  }
}
