// Flow control for a worker streaming pieces to the main thread over a MessagePort (bundle exports, replication
// snapshots): the worker may send INITIAL_CREDIT pieces, then one more for each credit the main thread grants as its
// consumer drains; it stops when the main thread cancels or closes the channel. Protocol (port messages):
//   worker → main: { piece: ArrayBuffer, length } … then { end: true }
//   main → worker: { credit: n } to allow n more pieces, { cancel: true } to stop.
import type { MessagePort } from 'node:worker_threads';

/** Pieces the worker may send before the main thread asks for more. */
export const INITIAL_CREDIT = 4;

/** Credit granted by the main thread, awaited when used up. */
export class Credit {
  private available = INITIAL_CREDIT;
  private wake: (() => void) | undefined;
  cancelled = false;

  constructor(port: MessagePort) {
    port.on('message', (m: { credit?: number; cancel?: boolean }) => {
      if (m.cancel) this.cancelled = true;
      if (m.credit) this.available += m.credit;
      this.wake?.();
      this.wake = undefined;
    });
    port.on('close', () => {
      this.cancelled = true;
      this.wake?.();
    });
  }

  async take(): Promise<void> {
    while (this.available <= 0 && !this.cancelled) await new Promise<void>((r) => (this.wake = r));
    this.available--;
  }
}
