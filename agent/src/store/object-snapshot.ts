// Reads an ObjectStore from another thread, as it was when snapshot() was taken: the main thread keeps writing the same
// shared memory, but objects never change once stored and every slot's position is published atomically after its key
// and record, so positions beyond the snapshot's count are simply not there. Nothing is copied.
import type { GitObject, ObjectId, ObjectReader, ObjectType } from '../git/objects.js';
import { RECORD_HEADER, TYPE_NAMES } from './arena.js';
import { idsWithPrefix } from './id-prefix.js';
import { hexKey, homeSlot, type StoreSnapshot } from './object-store.js';

export class SnapshotReader implements ObjectReader {
  private readonly chunks: Buffer[];
  private readonly keys: Buffer;
  private readonly posOf: Uint32Array;
  private readonly chunkAt: Uint32Array;
  private readonly offsetAt: Uint32Array;
  private readonly mask: number;
  readonly count: number;
  readonly objectBytes: number;

  constructor(s: StoreSnapshot) {
    this.chunks = s.chunks.map((c) => Buffer.from(c));
    this.keys = Buffer.from(s.keys);
    this.posOf = new Uint32Array(s.posOf);
    this.chunkAt = new Uint32Array(s.chunkAt);
    this.offsetAt = new Uint32Array(s.offsetAt);
    this.mask = s.slots - 1;
    this.count = s.count;
    this.objectBytes = s.objectBytes;
  }

  /** Objects in the snapshot (ObjectStore's `size` when it was taken). */
  get size(): number {
    return this.count;
  }

  has(id: ObjectId): boolean {
    const key = hexKey(id);
    return key !== undefined && this.find(key) > 0;
  }

  readObject(id: ObjectId): GitObject | undefined {
    const key = hexKey(id);
    const pos = key === undefined ? 0 : this.find(key);
    return pos > 0 ? this.at(pos - 1) : undefined;
  }

  /** Every object of the snapshot in the order it was stored (ids are not kept with records). */
  *records(): IterableIterator<GitObject> {
    for (let p = 0; p < this.count; p++) yield this.at(p);
  }

  /** Ids of the snapshot starting with `prefix`, as the store answered when the snapshot was taken. */
  idsWithPrefix(prefix: string, limit = 16): ObjectId[] {
    return idsWithPrefix({ keys: this.keys, posOf: this.posOf, slots: this.mask + 1, maxPos: this.count }, prefix, limit);
  }

  /** Every object of the snapshot with its id, in the order ObjectStore.objects() gave them (index slot order). */
  *objects(): IterableIterator<GitObject & { id: ObjectId }> {
    for (let i = 0; i <= this.mask; i++) {
      const pos = Atomics.load(this.posOf, i);
      if (pos === 0 || pos > this.count) continue;
      const o = this.at(pos - 1);
      yield { id: this.keys.toString('hex', i * 20, i * 20 + 20), type: o.type, data: o.data };
    }
  }

  /** The record at 0-based position `pos`. */
  at(pos: number): GitObject {
    const chunk = this.chunks[this.chunkAt[pos] - 1];
    const off = this.offsetAt[pos];
    const len = chunk.readUInt32LE(off + 1);
    return { type: TYPE_NAMES[chunk[off]] as ObjectType, data: chunk.subarray(off + RECORD_HEADER, off + RECORD_HEADER + len) };
  }

  /** The 1-based position of `key` if the snapshot holds it, else 0. */
  private find(key: Uint8Array): number {
    let i = homeSlot(key, this.mask);
    for (;;) {
      const pos = Atomics.load(this.posOf, i);
      if (pos === 0) return 0;
      if (this.keyEquals(i, key)) return pos <= this.count ? pos : 0;
      i = (i + 1) & this.mask;
    }
  }

  private keyEquals(slot: number, key: Uint8Array): boolean {
    const base = slot * 20;
    for (let j = 19; j >= 0; j--) if (this.keys[base + j] !== key[j]) return false;
    return true;
  }
}
