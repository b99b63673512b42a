// The recent part of a repository's change log, kept in memory so a replica that fell a little behind catches up by
// range instead of a full snapshot. Bounded by count and by bytes per repository, and by the agent-wide budget shared
// by every window (window-budget.ts); each change is encoded once, when first needed.
import { encodeChange } from '../persistence/change-codec.js';
import { Change } from '../store/repository.js';
import { BudgetedWindow, WindowBudget } from './window-budget.js';

export interface WindowEntry {
  change: Change;
  bytes?: Buffer;
  /** Roughly the change's encoded size (its objects' bytes plus per-object overhead). */
  size: number;
}

export class ChangeWindow implements BudgetedWindow {
  private entries: WindowEntry[] = [];
  private head = 0;
  private size = 0;
  generation = 0;

  constructor(private readonly budget?: WindowBudget, private readonly maxChanges = 10_000, private readonly maxBytes = 64 * 1024 * 1024) {}

  get length(): number {
    return this.entries.length - this.head;
  }

  get bytes(): number {
    return this.size;
  }

  push(change: Change, bytes?: Buffer): WindowEntry {
    const last = this.entries[this.entries.length - 1];
    // A gap (snapshot installed, journal replay) restarts the window: it must stay contiguous.
    if (last && last.change.seq + 1 !== change.seq) this.clear();
    const n = changeSize(change);
    const entry: WindowEntry = bytes ? { change, bytes, size: n } : { change, size: n };
    this.entries.push(entry);
    this.size += n;
    while (this.length > this.maxChanges || (this.size > this.maxBytes && this.length > 1)) this.dropOldest();
    this.budget?.added(this, change.seq, n);
    this.compact();
    return entry;
  }

  clear(): void {
    this.budget?.released(this.length, this.size);
    this.entries = [];
    this.head = 0;
    this.size = 0;
    this.generation++;
  }

  trimThrough(seq: number): void {
    while (this.length > 0 && this.entries[this.head].change.seq <= seq) this.dropOldest();
    this.compact();
  }

  holds(generation: number, seq: number): boolean {
    return generation === this.generation && this.at(seq) !== undefined;
  }

  /** The entry with this seq, if still held. */
  at(seq: number): WindowEntry | undefined {
    if (this.length === 0) return undefined;
    const i = this.head + (seq - this.entries[this.head].change.seq);
    return i >= this.head && i < this.entries.length ? this.entries[i] : undefined;
  }

  /** Entries after `seq` up to the newest, or undefined when the window no longer starts early enough. */
  after(seq: number): WindowEntry[] | undefined {
    if (this.length === 0) return undefined;
    const first = this.entries[this.head].change.seq;
    if (seq + 1 < first) return undefined;
    return this.entries.slice(this.head + (seq + 1 - first));
  }

  private dropOldest(): void {
    const n = changeSize(this.entries[this.head].change);
    this.entries[this.head] = undefined as unknown as WindowEntry; // release the change for GC before compaction
    this.head++;
    this.size -= n;
    this.budget?.released(1, n);
  }

  /** Compacts now and then instead of shifting the array on every drop. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }
}

export function encoded(entry: WindowEntry): Buffer {
  entry.bytes ??= encodeChange(entry.change);
  return entry.bytes;
}

function changeSize(c: Change): number {
  let n = 64;
  for (const o of c.objects) n += o.data.length + 48;
  return n;
}
