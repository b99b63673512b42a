// The recent part of a repository's change log, kept in memory so a replica that fell a little behind catches up by
// range instead of a full snapshot. Bounded by count and by bytes; each change is encoded once, when first needed.
import { encodeChange } from '../persistence/change-codec.js';
import { Change } from '../store/repository.js';

export interface WindowEntry {
  change: Change;
  bytes?: Buffer;
}

export class ChangeWindow {
  private entries: WindowEntry[] = [];
  private head = 0;
  private size = 0;

  constructor(private readonly maxChanges = 10_000, private readonly maxBytes = 64 * 1024 * 1024) {}

  push(change: Change, bytes?: Buffer): WindowEntry {
    const last = this.entries[this.entries.length - 1];
    // A gap (snapshot installed, journal replay) restarts the window: it must stay contiguous.
    if (last && last.change.seq + 1 !== change.seq) this.clear();
    const entry: WindowEntry = bytes ? { change, bytes } : { change };
    this.entries.push(entry);
    this.size += changeSize(change);
    while (this.entries.length - this.head > this.maxChanges || (this.size > this.maxBytes && this.entries.length - this.head > 1)) {
      this.size -= changeSize(this.entries[this.head].change);
      this.head++;
    }
    // Compact now and then instead of shifting the array on every push.
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return entry;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.size = 0;
  }

  /** The entry with this seq, if still held. */
  at(seq: number): WindowEntry | undefined {
    if (this.entries.length === this.head) return undefined;
    const i = this.head + (seq - this.entries[this.head].change.seq);
    return i >= this.head && i < this.entries.length ? this.entries[i] : undefined;
  }

  /** Entries after `seq` up to the newest, or undefined when the window no longer starts early enough. */
  after(seq: number): WindowEntry[] | undefined {
    if (this.entries.length === this.head) return undefined;
    const first = this.entries[this.head].change.seq;
    if (seq + 1 < first) return undefined;
    return this.entries.slice(this.head + (seq + 1 - first));
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
