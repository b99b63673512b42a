// One memory budget for the change windows of every repository on the agent: when their total passes it, the oldest
// entries go first, whichever repository holds them. A replica needing a trimmed entry gets a snapshot instead.
// Pushes are recorded in one FIFO of (window, generation, seq); records of entries already gone (trimmed by their own
// window's bounds, or cleared) are skipped when they reach the front and compacted away now and then.

/** What the budget needs from a window. */
export interface BudgetedWindow {
  /** Bumped by every clear: records of an older generation are dead. */
  readonly generation: number;
  /** Drops entries with seq <= `seq` (if still held), reporting them through `released`. */
  trimThrough(seq: number): void;
  /** Whether the entry with this seq (of this generation) is still held. */
  holds(generation: number, seq: number): boolean;
}

interface PushRecord {
  window: BudgetedWindow;
  generation: number;
  seq: number;
}

export class WindowBudget {
  private records: PushRecord[] = [];
  private head = 0;
  private bytes = 0;
  private live = 0;
  /** Entries dropped to stay within the budget (for tests and metrics). */
  trimmed = 0;

  constructor(readonly maxBytes: number) {}

  get usedBytes(): number {
    return this.bytes;
  }

  /** A window took an entry of `size` bytes; trims oldest-first across windows while over budget. */
  added(window: BudgetedWindow, seq: number, size: number): void {
    this.records.push({ window, generation: window.generation, seq });
    this.bytes += size;
    this.live++;
    while (this.bytes > this.maxBytes && this.head < this.records.length - 1) {
      const r = this.records[this.head++];
      if (!r.window.holds(r.generation, r.seq)) continue;
      const before = this.live;
      r.window.trimThrough(r.seq);
      this.trimmed += before - this.live;
    }
    this.compact();
  }

  /** A window dropped entries on its own (its count or byte bound, a clear). */
  released(entries: number, size: number): void {
    this.bytes -= size;
    this.live -= entries;
  }

  private compact(): void {
    const held = this.records.length - this.head;
    if (held > 1024 && held > 2 * this.live) {
      this.records = this.records.slice(this.head).filter((r) => r.window.holds(r.generation, r.seq));
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.records.length) {
      this.records = this.records.slice(this.head);
      this.head = 0;
    }
  }
}
