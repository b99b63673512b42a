// Callers waiting for a number to reach a target (a repository's applied seq, a write's ack count), released in
// order as it grows, or failed on timeout.
export interface Waiter {
  target: number;
  resolve(): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

export class SeqWaiters {
  private waiters: Waiter[] = [];

  get pending(): number {
    return this.waiters.length;
  }

  wait(target: number, timeoutMs: number, onTimeout: () => Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        target, resolve, reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((x) => x !== w);
          reject(onTimeout());
        }, timeoutMs),
      };
      this.waiters.push(w);
    });
  }

  /** Releases every waiter whose target `reached` says is met. */
  release(reached: (target: number) => boolean): void {
    if (this.waiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (reached(w.target)) {
        clearTimeout(w.timer);
        w.resolve();
      } else keep.push(w);
    }
    this.waiters = keep;
  }

  failAll(e: Error): void {
    const all = this.waiters;
    this.waiters = [];
    for (const w of all) {
      clearTimeout(w.timer);
      w.reject(e);
    }
  }
}
