// The change windows' memory accounting: per-repository bounds, the agent-wide budget trimming oldest-first across
// repositories, and the bookkeeping staying consistent through clears and gaps.
import test from 'ava';
import { ChangeWindow } from '../../agent/src/replication/change-window.js';
import { WindowBudget } from '../../agent/src/replication/window-budget.js';
import { Change } from '../../agent/src/store/repository.js';

const OVERHEAD = 64 + 48;
const change = (seq: number, bytes = 1000): Change => ({
  seq, epoch: 1, refs: [], objects: [{ id: seq.toString(16).padStart(40, '0'), type: 'blob', data: Buffer.alloc(bytes) }],
});
const size = (bytes = 1000) => bytes + OVERHEAD;
const sum = (...ws: ChangeWindow[]) => ws.reduce((n, w) => n + w.bytes, 0);

test('the budget trims the oldest changes first, across repositories', (t) => {
  const budget = new WindowBudget(10 * size());
  const a = new ChangeWindow(budget);
  const b = new ChangeWindow(budget);
  for (let s = 1; s <= 6; s++) a.push(change(s));
  for (let s = 1; s <= 4; s++) b.push(change(s));
  t.is(budget.usedBytes, 10 * size());
  t.is(budget.trimmed, 0);
  // Over budget: a's oldest entries (pushed first) go, not b's.
  b.push(change(5));
  b.push(change(6));
  t.is(budget.usedBytes, 10 * size());
  t.is(budget.trimmed, 2);
  t.is(a.at(1), undefined);
  t.is(a.at(2), undefined);
  t.truthy(a.at(3));
  t.truthy(b.at(1));
  t.is(a.after(1), undefined, 'a replica at seq 1 of a now needs a snapshot');
  t.is(a.after(2)?.length, 4, 'one at seq 2 still catches up by range');
  t.is(budget.usedBytes, sum(a, b));
  // a's remaining entries were pushed before b's: they go next, then b's oldest.
  for (let s = 7; s <= 10; s++) a.push(change(s));
  t.is(a.after(6)?.length, 4);
  t.is(a.at(6), undefined);
  t.is(b.length, 6);
  a.push(change(11));
  t.is(b.at(1), undefined);
  t.is(b.at(2)?.change.seq, 2);
  t.is(a.length, 5);
  t.is(budget.usedBytes, 10 * size());
  t.is(budget.usedBytes, sum(a, b));
  t.is(budget.trimmed, 7);
});

test('own bounds, clears and gaps keep the budget exact; dead records are skipped', (t) => {
  const budget = new WindowBudget(900_000);
  const a = new ChangeWindow(budget, 3);
  const b = new ChangeWindow(budget);
  for (let s = 1; s <= 10; s++) a.push(change(s));
  t.is(a.length, 3, 'the per-repository count bound');
  t.is(budget.usedBytes, 3 * size());
  for (let s = 1; s <= 5; s++) b.push(change(s));
  b.push(change(9)); // a gap restarts the window
  t.is(b.length, 1);
  t.is(budget.usedBytes, sum(a, b));
  b.clear();
  t.is(budget.usedBytes, a.bytes);
  // A new generation of b reusing seqs: records of the old one must not trim it.
  for (let s = 1; s <= 3; s++) b.push(change(s, 299_000));
  t.true(budget.usedBytes <= 900_000);
  t.is(budget.usedBytes, sum(a, b));
  t.is(b.length, 3, 'the new generation of b is intact');
  t.is(a.length, 2, "a's oldest live entry made room; dead records (own bound, old generation) were skipped");
});

test('a single change larger than the budget is kept alone; thousands of changes stay bounded', (t) => {
  const budget = new WindowBudget(50 * size());
  const ws = Array.from({ length: 5 }, () => new ChangeWindow(budget));
  for (let s = 1; s <= 2000; s++) ws[s % 5].push(change(Math.ceil(s / 5)));
  t.is(budget.usedBytes, sum(...ws));
  t.true(budget.usedBytes <= 50 * size());
  const big = new ChangeWindow(budget);
  big.push(change(1, 100 * size()));
  t.is(big.length, 1);
  t.is(budget.usedBytes, big.bytes + sum(...ws));
  t.is(sum(...ws), 0, 'everything older made room');
});
