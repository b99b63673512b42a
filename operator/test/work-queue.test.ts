import test from 'ava';
import { WorkQueue } from '../src/runtime/work-queue.js';
import { backoffDelay } from '../src/runtime/backoff.js';

test('a key is queued once however often it is added', async (t) => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  t.is(q.length, 2);
  t.is(await q.get(), 'a');
  t.is(await q.get(), 'b');
});

test('a key added while processed comes back after done(), never to two workers at once', async (t) => {
  const q = new WorkQueue();
  q.add('a');
  const key = await q.get();
  q.add('a');
  t.is(q.length, 0, 'not handed out while in process');
  q.done(key!);
  t.is(q.length, 1);
  t.is(await q.get(), 'a');
});

test('a waiting get() receives the next add', async (t) => {
  const q = new WorkQueue();
  const waiting = q.get();
  q.add('x');
  t.is(await waiting, 'x');
  q.shutdown();
  t.is(await q.get(), undefined);
});

test('failures back off exponentially until forget()', async (t) => {
  const q = new WorkQueue({ baseMs: 10, maxMs: 40 });
  t.is(q.addRateLimited('k'), 10);
  t.is(q.addRateLimited('k'), 20);
  t.is(q.addRateLimited('k'), 40);
  t.is(q.addRateLimited('k'), 40);
  q.forget('k');
  t.is(q.failureCount('k'), 0);
  t.is(await q.get(), 'k', 'the earliest schedule wins');
  q.shutdown();
  t.is(backoffDelay(100, { baseMs: 1, maxMs: 5 }), 5);
});

test('addAfter keeps the earlier of two schedules', async (t) => {
  const q = new WorkQueue();
  q.addAfter('k', 5_000);
  q.addAfter('k', 5);
  const started = Date.now();
  t.is(await q.get(), 'k');
  t.true(Date.now() - started < 1_000);
  q.shutdown();
});
