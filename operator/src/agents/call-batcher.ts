// Coalesces many small calls to one peer into batch calls without adding latency: a call goes out at once when
// fewer than `maxInFlight` batches are outstanding; calls made meanwhile wait and leave together (up to `maxBatch`)
// as soon as one returns. Under light load every call is a batch of one; under heavy load the batches grow, so the
// per-call overhead (on both sides) is paid per batch.

/** One item's answer: its value, or the error its single call would have raised. */
export type BatchResult<R> = { ok: true; value: R } | { ok: false; error: Error };

interface Waiting<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (err: Error) => void;
}

export class CallBatcher<I, R> {
  private readonly waiting: Waiting<I, R>[] = [];
  private inFlight = 0;
  /** Batch calls sent so far (for tests and metrics). */
  batches = 0;

  constructor(
    /** Sends one batch; answers one result per item, in order. A rejection fails every item of the batch. */
    private readonly send: (items: I[]) => Promise<BatchResult<R>[]>,
    private readonly maxBatch = 256,
    private readonly maxInFlight = 2,
  ) {}

  call(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      this.inFlight++;
      this.batches++;
      let sent: Promise<BatchResult<R>[]>;
      try {
        sent = this.send(batch.map((w) => w.item));
      } catch (err) {
        sent = Promise.reject(err);
      }
      // The next batch leaves before this one's callers resume.
      const next = () => {
        this.inFlight--;
        this.pump();
      };
      sent.then((results) => {
        next();
        batch.forEach((w, i) => {
          const r = results[i];
          if (!r) w.reject(new Error(`the batch answered ${results.length} of ${batch.length} items`));
          else if (r.ok) w.resolve(r.value);
          else w.reject(r.error);
        });
      }, (err: unknown) => {
        next();
        const error = err instanceof Error ? err : new Error(String(err));
        for (const w of batch) w.reject(error);
      });
    }
  }
}
