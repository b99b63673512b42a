// A controller: a work queue and N workers calling one reconcile function per key (level-triggered: the key names
// an object, never an event). Errors requeue with exponential backoff, results may ask for a later look, and
// 409 Conflicts (someone wrote the object since we read it) retry soon without counting as errors.
import type { Logger } from 'winston';
import { apiMessage, isConflict } from '../kube/api-errors.js';
import type { OperatorMetrics } from './metrics.js';
import { WorkQueue } from './work-queue.js';

export interface ReconcileResult {
  /** Look at the object again after this long even without a change. */
  requeueAfterMs?: number;
}

export type Reconcile = (key: string) => Promise<ReconcileResult>;

export class Controller {
  readonly queue = new WorkQueue({ baseMs: 200, maxMs: 60_000 });
  private running: Promise<void>[] = [];

  constructor(
    readonly name: string,
    private readonly reconcile: Reconcile,
    private readonly metrics: OperatorMetrics,
    private readonly log: Logger,
  ) {}

  enqueue(key: string): void {
    this.queue.add(key);
    this.metrics.queueDepth.set({ controller: this.name }, this.queue.length);
  }

  /** Enqueues after `ms` unless a look is already scheduled sooner: many events, one reconcile. */
  enqueueAfter(key: string, ms: number): void {
    this.queue.addAfter(key, ms);
  }

  start(workers: number): void {
    for (let i = 0; i < workers; i++) this.running.push(this.worker());
  }

  async stop(): Promise<void> {
    this.queue.shutdown();
    await Promise.all(this.running);
  }

  private async worker(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      this.metrics.queueDepth.set({ controller: this.name }, this.queue.length);
      const end = this.metrics.duration.startTimer({ controller: this.name });
      try {
        const result = await this.reconcile(key);
        this.queue.forget(key);
        if (result.requeueAfterMs !== undefined) this.queue.addAfter(key, result.requeueAfterMs);
        this.metrics.reconciles.inc({ controller: this.name, result: result.requeueAfterMs !== undefined ? 'requeue' : 'success' });
      } catch (err) {
        if (isConflict(err)) {
          this.metrics.reconciles.inc({ controller: this.name, result: 'conflict' });
          this.log.debug('conflict, retrying', { controller: this.name, key });
          this.queue.addAfter(key, 50 + Math.random() * 200);
        } else {
          this.metrics.reconciles.inc({ controller: this.name, result: 'error' });
          this.metrics.errors.inc({ controller: this.name });
          const delayMs = this.queue.addRateLimited(key);
          this.log.warn('reconcile failed', { controller: this.name, key, error: apiMessage(err), retryInMs: delayMs });
        }
      } finally {
        end();
        this.queue.done(key);
      }
    }
  }
}
