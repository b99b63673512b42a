// An informer that keeps running: client-node's ListWatch relists by itself on 410 Gone but stops on any other
// error, so this restarts it with exponential backoff; a watchdog restarts a watch that has been silent longer than
// `staleMs` (watches can hang without an error). Every add/update/delete goes to `onChange`.
import { KubeConfig, KubernetesObject, makeInformer, type Informer, type ObjectCache } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { backoffDelay } from './backoff.js';

export type ListFn<T> = () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>;

export interface InformerOptions<T extends KubernetesObject> {
  name: string;
  path: string;
  list: ListFn<T>;
  labelSelector?: string;
  onChange: (obj: T, verb: 'add' | 'update' | 'delete') => void;
  log: Logger;
  /** Restart a watch with no event or reconnect for this long (the server ends watches every 5-10 min). Default 15 min. */
  staleMs?: number;
}

export class InformerRunner<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private failures = 0;
  private lastActivity = Date.now();
  private stopped = false;
  private watchdog: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private synced = false;

  constructor(kc: KubeConfig, private readonly opts: InformerOptions<T>) {
    // client-node types the list promise as a full KubernetesListObject; the fields it reads are items and metadata.
    this.informer = makeInformer<T>(kc, opts.path, opts.list as Parameters<typeof makeInformer<T>>[2], opts.labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.informer.on(verb, (obj) => {
        this.lastActivity = Date.now();
        this.failures = 0;
        opts.onChange(obj, verb);
      });
    }
    this.informer.on('connect', () => {
      this.lastActivity = Date.now();
      this.synced = true;
    });
    this.informer.on('error', (err) => this.restartLater(err));
  }

  get cache(): ObjectCache<T> {
    return this.informer;
  }

  /** The first list has been loaded. */
  get hasSynced(): boolean {
    return this.synced;
  }

  async start(): Promise<void> {
    await this.informer.start();
    this.synced = true;
    this.lastActivity = Date.now();
    const staleMs = this.opts.staleMs ?? 15 * 60_000;
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastActivity > staleMs) {
        this.opts.log.warn('watch silent too long, restarting', { informer: this.opts.name });
        this.lastActivity = Date.now();
        void this.informer.stop().then(() => this.restartLater(undefined));
      }
    }, Math.min(staleMs, 60_000));
    this.watchdog.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.watchdog) clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }

  /**
   * One restart at a time: client-node's ListWatch aborts its current request whenever any request of it ends, so
   * two restarts in flight (e.g. the watchdog's and the AbortError its stop() caused) abort each other forever.
   */
  private restartLater(err: unknown): void {
    if (this.stopped || this.restartTimer) return;
    const delay = backoffDelay(this.failures++, { baseMs: 500, maxMs: 30_000 });
    if (err !== undefined) {
      this.opts.log.warn('informer stopped, restarting', { informer: this.opts.name, delayMs: delay, error: String(err) });
    }
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => this.restartLater(e));
    }, delay);
    this.restartTimer.unref();
  }
}
