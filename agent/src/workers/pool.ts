// The worker threads that take heavy requests off the event loop (bundle import and export, large JSON bodies, compare,
// history, large listings, merges, large commits, Admin RepoStates of many refs, replication snapshots), so that /healthz, the replication streams and every other
// request keep being answered while they run. One pool per
// process, started on first use. A task's own refusals come back as values (task-result.ts) and become GovcErrors here;
// a worker that dies mid-task (killed, out of memory) fails that request alone with 503 and the pool starts a new one.
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { GovcError } from '../errors.js';
import type { TaskName, TaskResult } from './task-result.js';

const WORKER_FILE = fileURLToPath(new URL('./worker.js', import.meta.url));

export interface WorkerPoolOptions {
  threads: number;
  /** Tasks waiting for a thread beyond which new ones are refused with 503 (each holds its request body). */
  maxQueue?: number;
}

let options: WorkerPoolOptions = { threads: Math.max(2, Math.min(4, availableParallelism() - 1)) };

/**
 * Three pools: `tasks` runs one CPU-bound task per thread (imports, JSON bodies); `streams` runs exports and replication
 * snapshots, which spend most of their life waiting for the client to take the next piece, so a thread takes several —
 * and a slow download never holds a thread an import could use; `queries` runs the computations behind reads and
 * merges (compare, history, long listings, merges), one per thread, so a small compare never waits behind a
 * one-second import.
 */
export type PoolKind = 'tasks' | 'streams' | 'queries';
const pools = new Map<PoolKind, Piscina>();
const KIND_OF: Record<TaskName, PoolKind> = {
  importBundle: 'tasks', parseJsonBody: 'tasks', replicaChange: 'tasks', exportBundle: 'streams', replicationSnapshot: 'streams',
  compare: 'queries', history: 'queries', listTree: 'queries', listRefs: 'queries', merge: 'queries', commit: 'queries', repoState: 'queries',
};
/** Queued tasks per thread before 503 workers_busy: a query's input is a few ids, an import's a whole body. */
const QUEUE_PER_THREAD: Record<PoolKind, number> = { tasks: 16, streams: 16, queries: 64 };

/** Sets the pools' size; takes effect when a pool is (re)started. */
export function configureWorkers(opts: WorkerPoolOptions): void {
  options = opts;
}

/** A pool, started on first use. Exposed for tests (e.g. to terminate a thread mid-task). */
export function workerPool(kind: PoolKind = 'tasks'): Piscina {
  let pool = pools.get(kind);
  if (!pool) {
    pool = new Piscina({
      filename: WORKER_FILE,
      // One query thread stays warm once started: a thread's start (~200 ms) would otherwise fall on the first compare
      // after every idle minute.
      minThreads: kind === 'queries' ? 1 : 0,
      maxThreads: options.threads,
      concurrentTasksPerWorker: kind === 'streams' ? 4 : 1,
      // Threads stay warm for a minute after the last heavy request, then go.
      idleTimeout: 60_000,
      maxQueue: options.maxQueue ?? QUEUE_PER_THREAD[kind] * options.threads,
    });
    // A thread that dies before it is ready (killed, out of memory while starting) leaves piscina with no thread and
    // the tasks queued for it waiting for one it never starts: they would wait forever. A pool left with tasks queued
    // and no thread is replaced: destroying it fails those tasks (503 worker_failed, to be retried), and the next task
    // starts a new pool.
    const started = pool;
    started.on('workerDestroy', () => setImmediate(() => {
      if (pools.get(kind) !== started || started.threads.length > 0 || started.queueSize === 0) return;
      pools.delete(kind);
      void started.destroy();
    }));
    // piscina reports a thread's error outside any task here; the task's own failure is what the client sees.
    started.on('error', () => {});
    pools.set(kind, pool);
  }
  return pool;
}

/** A task's unexpected failure (a bug): the message and stack come back for the log, the client gets a 500. */
export class WorkerTaskBug extends Error {
  override name = 'WorkerTaskBug';
}

/**
 * Runs task `name` in a worker. Refusals come back as GovcError (the task's own status and code); a worker that died or a
 * full queue is a 503 the client may retry.
 */
export async function runInWorker<T>(name: TaskName, input: unknown, transferList?: TransferListItem[]): Promise<T> {
  let result: TaskResult<T>;
  try {
    result = (await workerPool(KIND_OF[name]).run(input, { name, transferList: transferList as never })) as TaskResult<T>;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (/queue is at limit/i.test(message)) {
      throw new GovcError('unavailable', 'workers_busy', 'too many heavy requests are waiting; retry shortly');
    }
    throw new GovcError('unavailable', 'worker_failed', `the worker thread handling this request stopped (${message}); nothing was changed, retry`);
  }
  if (result.ok) return result.value;
  if ('bug' in result) {
    const bug = new WorkerTaskBug(result.bug.message);
    bug.stack = result.bug.stack;
    throw bug;
  }
  const { kind, code, message, details } = result.error;
  throw new GovcError(kind, code, message, details);
}

/** Stops the pools' threads (agent shutdown, end of tests). */
export async function closeWorkers(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.destroy()));
}
