// A journal write function for tests: the real gathered write, which a test can hold back (every write waits until
// released) or make fail for the files `failOn` matches, counting the writes it was asked for.
import { readlinkSync } from 'node:fs';
import { WriteFn, writevFn } from '../../src/persistence/journal-writer.js';

export class ControlledWrite {
  calls = 0;
  /** Writes started and not finished. */
  private runningNow = 0;
  /** Paths written, in order. */
  paths: string[] = [];
  failOn: ((path: string) => boolean) | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;

  readonly fn: WriteFn = async (fd, buffers, position) => {
    this.calls++;
    const path = readlinkSync(`/proc/self/fd/${fd}`);
    this.paths.push(path);
    this.runningNow++;
    try {
      if (this.gate) await this.gate;
      if (this.failOn?.(path)) throw Object.assign(new Error(`ENOSPC: no space left on device, write (${path})`), { code: 'ENOSPC' });
      return await writevFn(fd, buffers, position);
    } finally {
      this.runningNow--;
    }
  };

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
