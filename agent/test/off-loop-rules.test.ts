// Which work stays on the event loop and which goes to a worker (commands/off-loop.ts), without servers: the history
// rule, the read budget that drops a walk turning out large (and gives the same page when run in full), and that the
// computations give the same answers on a worker's snapshot of the store as on the repository itself.
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { BudgetExceeded, budgeted } from '../src/commands/budget.js';
import { compare, compareCommits, resolveCompare } from '../src/commands/compare.js';
import { createCommit } from '../src/commands/commit.js';
import { log } from '../src/commands/log.js';
import { computeMerge, resolveMerge } from '../src/commands/merge.js';
import { historyPlace, LOG_ON_LOOP_BUDGET, LOG_ON_LOOP_COMMITS } from '../src/commands/off-loop.js';
import { abbreviate } from '../src/commands/revision.js';
import { encodeCommit, hashObject, type Identity } from '../src/git/objects.js';
import { ObjectStore } from '../src/store/object-store.js';
import { SnapshotReader } from '../src/store/object-snapshot.js';
import { Repository } from '../src/store/repository.js';

const who: Identity = { name: 'T', email: 't@example.com', timestamp: 1_700_000_000, timezone: '+0000' };

function history(commits: number): Repository {
  const repo = new Repository({ name: 'h', description: '', defaultBranch: 'main', createdAt: '' });
  for (let i = 0; i < commits; i++) {
    createCommit(repo, {
      branch: 'main', message: `c${i}`, author: { ...who, timestamp: who.timestamp + i }, committer: { ...who, timestamp: who.timestamp + i },
      files: [{ path: `d${i % 3}/f${i % 5}.txt`, content: Buffer.from(`line ${i}\n`), mode: '100644' }], deletes: [],
    });
  }
  return repo;
}

test('history: a path, or a page reaching deeper than LOG_ON_LOOP_COMMITS, goes to a worker; shallow plain pages stay', (t) => {
  t.is(historyPlace({ path: undefined, skip: 0, limit: 50 }), 'loop');
  t.is(historyPlace({ path: undefined, skip: LOG_ON_LOOP_COMMITS - 50, limit: 50 }), 'loop');
  t.is(historyPlace({ path: undefined, skip: LOG_ON_LOOP_COMMITS - 49, limit: 50 }), 'worker');
  t.is(historyPlace({ path: undefined, skip: 0, limit: 1000 }), 'worker');
  t.is(historyPlace({ path: 'a', skip: 0, limit: 1 }), 'worker');
});

test('the read budget stops a walk that turns out large; within it the page is the same as without', (t) => {
  const repo = history(40);
  const head = repo.getRef('refs/heads/main')!;
  t.deepEqual(log(budgeted(repo, { reads: 100, bytes: 1 << 20 }), head, { limit: 10 }), log(repo, head, { limit: 10 }));
  t.throws(() => log(budgeted(repo, { reads: 5, bytes: 1 << 20 }), head, { limit: 10 }), { instanceOf: BudgetExceeded });
  t.throws(() => log(budgeted(repo, { reads: 1000, bytes: 500 }), head, { limit: 10 }), { instanceOf: BudgetExceeded });
});

test('an octopus merge with thousands of parents exhausts the budget of a one-commit page', (t) => {
  const repo = new Repository({ name: 'o', description: '', defaultBranch: 'main', createdAt: '' });
  const tree = repo.objects.put('tree', Buffer.alloc(0));
  const parents = Array.from({ length: 3000 }, (_, i) => repo.objects.put('commit', encodeCommit({ tree, parents: [], author: who, committer: who, extraHeaders: [], message: `p${i}\n` })));
  const octopus = encodeCommit({ tree, parents, author: who, committer: who, extraHeaders: [], message: 'octopus\n' });
  const id = hashObject('commit', octopus);
  repo.apply([{ id, type: 'commit', data: octopus }], [{ name: 'refs/heads/main', old: null, new: id }]);
  t.is(historyPlace({ path: undefined, skip: 0, limit: 1 }), 'loop');
  t.throws(() => log(budgeted(repo, LOG_ON_LOOP_BUDGET), id, { limit: 1, skip: 0 }), { instanceOf: BudgetExceeded });
  t.is(log(repo, id, { limit: 1 }).commits[0].id, id);
});

test('compare, history, abbreviations and merges read a snapshot exactly as they read the repository', (t) => {
  const repo = history(30);
  repo.apply([], [{ name: 'refs/heads/side', old: null, new: repo.getRef('refs/heads/main')! }]);
  const side = (i: number) => createCommit(repo, {
    branch: 'side', message: `s${i}`, author: who, committer: who, files: [{ path: `side/${i}.txt`, content: Buffer.from(`${i}\n`), mode: '100644' }], deletes: [],
  });
  for (let i = 0; i < 3; i++) side(i);
  for (let i = 30; i < 33; i++) {
    createCommit(repo, { branch: 'main', message: `m${i}`, author: who, committer: who, files: [{ path: `main/${i}`, content: Buffer.from(`${i}`), mode: '100644' }], deletes: [] });
  }
  const snap = { objects: new SnapshotReader(repo.objects.snapshot()) };
  // the store goes on growing: the snapshot must still answer as the repository did when it was taken
  const q = resolveCompare(repo, 'main~20', 'side');
  const expected = compare(repo, 'main~20', 'side');
  const m = resolveMerge(repo, { base: 'main', head: 'side', author: who, committer: who });
  const merged = computeMerge(repo, m);
  const some = [...repo.objects.ids()].slice(0, 50);
  const abbrevs = some.map((id) => abbreviate(repo, id));
  for (let i = 3; i < 40; i++) side(i);
  t.deepEqual(compareCommits(snap, q), expected);
  t.deepEqual(computeMerge(snap, m), merged);
  t.deepEqual(log(snap, q.head, { limit: 5, path: 'side/1.txt' }), log(repo, q.head, { limit: 5, path: 'side/1.txt' }));
  t.deepEqual(some.map((id) => abbreviate(snap, id)), abbrevs);
});

test('a worker thread reading the snapshot while this thread writes gives the same comparison', async (t) => {
  const repo = history(60);
  const q = resolveCompare(repo, 'main~40', 'main');
  const expected = JSON.parse(JSON.stringify(compare(repo, 'main~40', 'main')));
  const src = `(async () => {
    const { workerData, parentPort } = await import('node:worker_threads');
    const { compareCommits } = await import(${JSON.stringify(new URL('../src/commands/compare.js', import.meta.url).href)});
    const { SnapshotReader } = await import(${JSON.stringify(new URL('../src/store/object-snapshot.js', import.meta.url).href)});
    parentPort.postMessage(JSON.parse(JSON.stringify(compareCommits({ objects: new SnapshotReader(workerData.snapshot) }, workerData.q))));
  })()`;
  const worker = new Worker(src, { eval: true, workerData: { snapshot: repo.objects.snapshot(), q } });
  const answer = new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  for (let i = 60; i < 400; i++) {
    createCommit(repo, { branch: 'main', message: `more ${i}`, author: who, committer: who, files: [{ path: `x/${i}`, content: Buffer.from(`${i}`), mode: '100644' }], deletes: [] });
  }
  t.deepEqual(await answer, expected);
  await worker.terminate();
});

test('a snapshot finds short ids exactly as the store did when it was taken, however the store grows', (t) => {
  const store = new ObjectStore();
  for (let i = 0; i < 3000; i++) store.put('blob', Buffer.from(`blob ${i}`));
  const prefixes = ['0', '1', 'a', 'ff', '0a', 'be', 'abc', '123', '4', 'c0f', 'e'];
  const expected = prefixes.map((p) => store.idsWithPrefix(p, 10_000).sort());
  const objects = [...store.objects()];
  const snap = new SnapshotReader(store.snapshot());
  for (let i = 3000; i < 9000; i++) store.put('blob', Buffer.from(`blob ${i}`)); // resizes the index twice
  t.deepEqual(prefixes.map((p) => snap.idsWithPrefix(p, 10_000).sort()), expected);
  t.is(snap.size, 3000);
  // in the store's own order (a snapshot's record is byte for byte the one built from the store then)
  t.deepEqual([...snap.objects()].map((o) => [o.id, o.type, o.data.toString()]), objects.map((o) => [o.id, o.type, o.data.toString()]));
});
