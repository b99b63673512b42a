// A worker thread that dies before it is ready, in a process of its own (the pools are per process): piscina then keeps
// the tasks queued for it and starts no other thread, so without the pool's rescue they would wait forever. They must
// fail 503 worker_failed at once, and the next task must run on a fresh thread.
import test from 'ava';
import { GovcError } from '../src/errors.js';
import { closeWorkers, configureWorkers, runInWorker, workerPool } from '../src/workers/pool.js';

const input = (text: string) => ({ body: new TextEncoder().encode(text), maxObjectBytes: 1 << 20 });

/** The task's outcome, or 'hung' when it has not settled after `ms`. */
async function settledWithin<T>(p: Promise<T>, ms: number): Promise<{ value: T } | { error: unknown } | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise<'hung'>((res) => (timer = setTimeout(() => res('hung'), ms)));
  try {
    return await Promise.race([p.then((value) => ({ value }), (error: unknown) => ({ error })), hung]);
  } finally {
    clearTimeout(timer);
  }
}

test.after.always(() => closeWorkers());

test('tasks queued for a thread killed while it starts fail 503 worker_failed instead of waiting forever; the next runs', async (t) => {
  configureWorkers({ threads: 1 });
  const pool = workerPool('tasks');
  const queued = [runInWorker('parseJsonBody', input('{"a":1}')), runInWorker('parseJsonBody', input('[2]'))];
  t.is(pool.threads.length, 1, 'the first task started one thread');
  await pool.threads[0].terminate(); // before it said it is ready: both tasks are still in the pool's queue
  for (const p of queued) {
    const outcome = await settledWithin(p, 10_000);
    t.not(outcome, 'hung');
    const error = (outcome as { error: unknown }).error;
    t.true(error instanceof GovcError, String(error));
    t.is((error as GovcError).code, 'worker_failed');
  }
  const next = await settledWithin(runInWorker<{ value: unknown }>('parseJsonBody', input('{"b":[3]}')), 30_000);
  t.deepEqual((next as { value: { value: unknown } }).value.value, { b: [3] });
});
