// The changes a repository has applied but not yet committed (not yet durable): what writers build on and readers never
// see. A queue in seq order, plus an overlay of the refs and metadata those changes set, so that a writer's lookup is
// one map probe and committing a prefix of the queue costs what that prefix changed. Each entry also remembers how many
// objects the store held once its objects were in: the store is an append-only log, so the objects readers may see are
// exactly its first `objectCount` positions at the commit point.
import type { ObjectId } from '../git/objects.js';
import type { Change, MetaChange } from './change.js';

export interface PendingEntry {
  change: Change;
  /** Objects in the store (positions) once this change's objects were stored. */
  objectCount: number;
  /** Their summed sizes. */
  objectBytes: number;
}

interface Overlaid<T> {
  value: T;
  /** The last pending change that set it: the overlay entry goes once that change is committed. */
  seq: number;
}

export class PendingChanges {
  private entries: PendingEntry[] = [];
  private head = 0;
  private readonly refs = new Map<string, Overlaid<ObjectId | null>>();
  private readonly meta = new Map<keyof MetaChange, Overlaid<string>>();

  get length(): number {
    return this.entries.length - this.head;
  }

  /** Seq of the newest pending change, or undefined when there is none. */
  get lastSeq(): number | undefined {
    return this.length === 0 ? undefined : this.entries[this.entries.length - 1].change.seq;
  }

  add(entry: PendingEntry): void {
    const { seq, refs, meta } = entry.change;
    this.entries.push(entry);
    for (const u of refs) this.refs.set(u.name, { value: u.new, seq });
    if (meta) for (const [k, v] of Object.entries(meta) as [keyof MetaChange, string | undefined][]) if (v !== undefined) this.meta.set(k, { value: v, seq });
  }

  /** The newest value a pending change gave `name`: an id, null (deleted), or undefined when none touched it. */
  ref(name: string): ObjectId | null | undefined {
    return this.refs.get(name)?.value;
  }

  /** Every ref a pending change touched, with its newest value (null: deleted). */
  *refUpdates(): IterableIterator<[string, ObjectId | null]> {
    for (const [name, o] of this.refs) yield [name, o.value];
  }

  /** The metadata fields pending changes set, undefined when none did. */
  metaChange(): MetaChange | undefined {
    if (this.meta.size === 0) return undefined;
    const out: MetaChange = {};
    for (const [k, o] of this.meta) out[k] = o.value;
    return out;
  }

  /** Removes the changes up to `seq` (oldest first) and what of the overlay only they set. */
  takeThrough(seq: number): PendingEntry[] {
    const out: PendingEntry[] = [];
    while (this.head < this.entries.length && this.entries[this.head].change.seq <= seq) {
      const entry = this.entries[this.head];
      this.entries[this.head++] = undefined as unknown as PendingEntry; // the change's objects may go once stored
      out.push(entry);
      for (const u of entry.change.refs) if ((this.refs.get(u.name)?.seq ?? 0) <= seq) this.refs.delete(u.name);
      if (entry.change.meta) for (const k of Object.keys(entry.change.meta) as (keyof MetaChange)[]) if ((this.meta.get(k)?.seq ?? 0) <= seq) this.meta.delete(k);
    }
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return out;
  }
}
