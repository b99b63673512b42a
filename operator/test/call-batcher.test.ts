import test from 'ava';
import { type BatchResult, CallBatcher } from '../src/agents/call-batcher.js';

/** A peer that answers each batch when told to, doubling numbers and failing odd ones. */
function peer() {
  const sent: number[][] = [];
  const pending: Array<() => void> = [];
  const send = (items: number[]) => new Promise<BatchResult<number>[]>((resolve) => {
    sent.push(items);
    pending.push(() => resolve(items.map((i) => (i % 2 === 0 ? { ok: true, value: i * 2 } : { ok: false, error: new Error(`odd ${i}`) }))));
  });
  const answerNext = () => pending.shift()!();
  return { sent, send, answerNext };
}

test('the first calls go out at once; calls made meanwhile leave together when one returns', async (t) => {
  const p = peer();
  const b = new CallBatcher(p.send, 100, 1);
  const first = b.call(2);
  t.deepEqual(p.sent, [[2]], 'no waiting for a batch to fill');
  const later = [4, 6, 8].map((i) => b.call(i));
  t.is(p.sent.length, 1, 'one batch in flight at most');
  p.answerNext();
  t.is(await first, 4);
  t.deepEqual(p.sent, [[2], [4, 6, 8]]);
  p.answerNext();
  t.deepEqual(await Promise.all(later), [8, 12, 16]);
  t.is(b.batches, 2);
});

test('each item gets its own answer or error, in order', async (t) => {
  const p = peer();
  const b = new CallBatcher(p.send, 100, 1);
  const blocker = b.call(0);
  const calls = [1, 2, 3].map((i) => b.call(i).then((v) => `ok ${v}`, (e: Error) => e.message));
  p.answerNext();
  await blocker;
  p.answerNext();
  t.deepEqual(await Promise.all(calls), ['odd 1', 'ok 4', 'odd 3']);
});

test('batches are cut at the maximum size and several may be in flight', async (t) => {
  const p = peer();
  const b = new CallBatcher(p.send, 2, 2);
  const calls = [0, 2, 4, 6, 8].map((i) => b.call(i));
  t.deepEqual(p.sent, [[0], [2]], 'two in flight at once');
  p.answerNext();
  await calls[0];
  t.deepEqual(p.sent, [[0], [2], [4, 6]]);
  p.answerNext();
  p.answerNext();
  await Promise.all(calls.slice(1, 4));
  t.deepEqual(p.sent.at(-1), [8]);
  p.answerNext();
  t.deepEqual(await Promise.all(calls), [0, 4, 8, 12, 16]);
});

test('a failed batch call fails every item in it, and later calls still go out', async (t) => {
  let fail = true;
  const b = new CallBatcher<number, number>(async (items) => {
    if (fail) throw new Error('unavailable');
    return items.map((i) => ({ ok: true as const, value: i }));
  }, 10, 1);
  const failed = await Promise.allSettled([b.call(1), b.call(2)]);
  t.true(failed.every((r) => r.status === 'rejected' && (r.reason as Error).message === 'unavailable'));
  fail = false;
  t.is(await b.call(3), 3);
});

test('a batch answering fewer results than items fails the missing ones', async (t) => {
  const b = new CallBatcher<number, number>(async (items) => items.slice(1).map((i) => ({ ok: true as const, value: i })), 10, 1);
  const r = await Promise.allSettled([b.call(1)]);
  t.is(r[0].status, 'rejected');
});
