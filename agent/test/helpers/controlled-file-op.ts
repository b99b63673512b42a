// What the tests' controlled journal writes and syncs share: every call counted and its file recorded, held back while
// a test holds the gate, failed for the files `failOn` matches, otherwise the real operation.
import { readlinkSync } from 'node:fs';

export class ControlledFileOp {
  calls = 0;
  /** Most calls in flight at once. */
  maxConcurrent = 0;
  private runningNow = 0;
  /** Paths operated on, in order. */
  paths: string[] = [];
  failOn: ((path: string) => boolean) | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  /** Runs `op` on `fd` under the controls; `failure` is the error a matched file gets instead. */
  protected async around<T>(fd: number, failure: (path: string) => Error, op: () => Promise<T>): Promise<T> {
    this.calls++;
    const path = readlinkSync(`/proc/self/fd/${fd}`);
    this.paths.push(path);
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.runningNow);
    try {
      if (this.gate) await this.gate;
      if (this.failOn?.(path)) throw failure(path);
      return await op();
    } finally {
      this.runningNow--;
    }
  }

  /** Calls started and not finished. */
  running(): number {
    return this.runningNow;
  }

  hold(): void {
    this.gate = new Promise((res) => (this.open = res));
  }

  release(): void {
    this.open?.();
    this.gate = undefined;
  }
}

/** An error as node:fs gives it. */
export function errnoError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}
