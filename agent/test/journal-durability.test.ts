// Acknowledged means on disk (GOVC_FSYNC=batch): in-process agents whose sync function the test holds back or breaks.
// Concurrent writes share fdatasyncs (group commit) and none is answered before the sync that covers it; creations and
// deletions wait for their folder entries; a failed sync is never acknowledged and quarantines that repository only.
import test from 'ava';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { commitBody, tempDir } from './helpers/agent.js';
import { fileSource, journalEntries } from '../src/persistence/record-reader.js';
import { ControlledSync, metric, startDurableAgent } from './helpers/durable-agent.js';
import { closeSync, openSync } from 'node:fs';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 10000): Promise<void> {
  for (const deadline = Date.now() + ms; !fn(); await sleep(5)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

test('group commit: N concurrent commits share fewer than N fsyncs, and none is answered before the fsync covering it', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn });
  try {
    t.is((await a.client.post('/repos', { name: 'g' })).status, 201);
    const repo = a.store.get('g');
    const N = 40;
    sync.hold();
    let answered = 0;
    const replies = Array.from({ length: N }, async (_, i) => {
      const r = await a.client.post('/repos/g/commits', commitBody('main', { [`f${i}.txt`]: `v${i}` }));
      answered++;
      // Answered only once on disk: the repository's durable seq had reached this write's seq.
      t.true(repo.durableSeq >= Number(r.headers.get('x-govc-seq')), `seq ${r.headers.get('x-govc-seq')} answered at durable ${repo.durableSeq}`);
      return r;
    });
    await until('every commit applied in memory', () => repo.seq === N);
    await sleep(100);
    t.is(answered, 0, 'no commit is answered while the sync that covers it is held');
    t.is(repo.durableSeq, 0);
    sync.release();
    const done = await Promise.all(replies);
    t.deepEqual(done.map((r) => r.status), Array(N).fill(201));
    const fsyncs = await metric(a.root, 'govc_journal_fsyncs_total');
    t.true(fsyncs >= 1 && fsyncs < N, `${fsyncs} fsyncs for ${N} commits`);
    // Every change was made durable by exactly one of them.
    t.is(await metric(a.root, 'govc_journal_fsync_batch_size_sum'), N);
    t.is(await metric(a.root, 'govc_journal_fsync_batch_size_count'), fsyncs);
    t.true(await metric(a.root, 'govc_journal_fsync_batch_size_bucket{le="1"}') < fsyncs || fsyncs === 1, 'some batch covered several commits');
    // Pipelined: a few syncs of one journal may be in flight, never one per write.
    t.true(sync.maxConcurrent <= 4, `${sync.maxConcurrent} syncs in flight at once`);
    // Reads see everything that was answered.
    t.is((await a.client.get('/repos/g')).body.seq, N);
  } finally {
    sync.release();
    await a.close();
  }
});

test('with one sync in flight per journal, writes arriving while it runs wait for the next one', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn, maxSyncsInFlight: 1 });
  try {
    await a.client.post('/repos', { name: 's' });
    const repo = a.store.get('s');
    sync.hold();
    const first = a.client.post('/repos/s/commits', commitBody('main', { f: '1' }));
    await until('the first sync started', () => sync.running() === 1);
    const later = Array.from({ length: 10 }, (_, i) => a.client.post('/repos/s/commits', commitBody('main', { [`g${i}`]: 'x' })));
    await until('all applied', () => repo.seq === 11);
    await sleep(50);
    t.is(sync.running(), 1, 'no second sync while the first runs');
    sync.release();
    await Promise.all([first, ...later]);
    t.is(await metric(a.root, 'govc_journal_fsyncs_total'), 2, 'one sync for the first write, one for the ten that came meanwhile');
    t.is(sync.maxConcurrent, 1);
  } finally {
    sync.release();
    await a.close();
  }
});

test('a failed fsync is never acknowledged (503) and quarantines that repository only', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn });
  try {
    for (const name of ['bad', 'good']) {
      t.is((await a.client.post('/repos', { name })).status, 201);
      t.is((await a.client.post(`/repos/${name}/commits`, commitBody('main', { a: '1' }))).status, 201);
    }
    const before = (await a.client.get('/repos/bad')).body;
    sync.failOn = (path) => path.endsWith('/repos/bad/journal');
    // Several writes in one batch: none of them is acknowledged.
    const writes = await Promise.all([1, 2, 3].map((i) => a.client.post('/repos/bad/commits', commitBody('main', { [`b${i}`]: 'x' }))));
    for (const w of writes) {
      t.is(w.status, 503);
      t.is(w.body.error.code, 'repository_damaged');
      t.regex(w.body.error.message, /bad.*journal sync failed.*EIO/);
      t.is(w.headers.get('x-govc-seq'), null, 'no seq for a write that was not acknowledged');
    }
    // Quarantined: every route answers 503 and says why.
    for (const path of ['/repos/bad', '/repos/bad/commits', '/repos/bad/branches', '/repos/bad/bundle']) {
      const r = await a.client.get(path);
      t.is(r.status, 503, path);
      t.is(r.body.error.code, 'repository_damaged');
    }
    t.is((await a.client.post('/repos/bad/branches', { name: 'x', from: before.head })).status, 503);
    t.is(await metric(a.root, 'govc_repositories_damaged'), 1);
    t.is(await metric(a.root, 'govc_journal_fsync_failures_total'), 1);
    t.true(a.logs.some((l) => l.level === 'error' && l.message === 'repository quarantined' && l.meta?.repo === 'bad' && /journal sync failed/.test(String(l.meta?.damage))));
    // The other repository serves normally, and the damaged one stays listed.
    t.is((await a.client.post('/repos/good/commits', commitBody('main', { a: '2' }))).status, 201);
    t.is((await a.client.get('/repos/good/files/a')).raw.toString(), '2');
    t.deepEqual((await a.client.get('/repos')).body.repositories.map((r: { name: string }) => r.name), ['bad', 'good']);
    // An admin can drop it, and create it again.
    t.is((await a.client.delete('/repos/bad')).status, 204);
    t.is(await metric(a.root, 'govc_repositories_damaged'), 0);
    t.is((await a.client.post('/repos', { name: 'bad' })).status, 201);
    sync.failOn = undefined;
    t.is((await a.client.post('/repos/bad/commits', commitBody('main', { a: '1' }))).status, 201);
  } finally {
    await a.close();
  }
});

test('creating and deleting a repository answer once their folder entries are durable', async (t) => {
  const sync = new ControlledSync();
  const data = tempDir();
  const a = await startDurableAgent(data, { syncFn: sync.fn });
  try {
    sync.hold();
    let created = false;
    const creating = a.client.post('/repos', { name: 'c' }).then((r) => ((created = true), r));
    await sleep(100);
    t.false(created, 'not answered before its syncs');
    t.false(existsSync(join(data, 'repos', 'c', 'meta.json')), 'meta.json is renamed into place only once synced');
    sync.release();
    t.is((await creating).status, 201);
    t.true(existsSync(join(data, 'repos', 'c', 'meta.json')));
    // meta.json (its temporary file), the repository's folder, the repositories folder.
    t.true(sync.paths.some((p) => p.endsWith('/repos/c/meta.json.create.tmp')));
    t.true(sync.paths.some((p) => p.endsWith('/repos/c')));
    t.true(sync.paths.some((p) => p.endsWith('/repos')));

    sync.hold();
    let deleted = false;
    const deleting = a.client.delete('/repos/c').then((r) => ((deleted = true), r));
    await sleep(100);
    t.false(deleted);
    sync.release();
    t.is((await deleting).status, 204);
    t.false(existsSync(join(data, 'repos', 'c')));
  } finally {
    sync.release();
    await a.close();
  }
});

test('a creation whose sync fails is quarantined, not acknowledged', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn });
  try {
    sync.failOn = (path) => path.includes('/repos/x/');
    const r = await a.client.post('/repos', { name: 'x' });
    t.is(r.status, 503);
    t.is(r.body.error.code, 'repository_damaged');
    t.is((await a.client.post('/repos', { name: 'y' })).status, 201);
  } finally {
    await a.close();
  }
});

test('GOVC_FSYNC=off: writes are answered without any sync', async (t) => {
  const sync = new ControlledSync();
  const data = tempDir();
  const a = await startDurableAgent(data, { syncFn: sync.fn, fsync: 'off' });
  try {
    t.is((await a.client.post('/repos', { name: 'o' })).status, 201);
    for (let i = 0; i < 5; i++) t.is((await a.client.post('/repos/o/commits', commitBody('main', { f: `${i}` }))).status, 201);
    t.is((await a.client.delete('/repos/o')).status, 204);
    t.is(sync.calls, 0);
    t.is(await metric(a.root, 'govc_journal_fsyncs_total'), 0);
  } finally {
    await a.close();
  }
});

test('what was acknowledged loads back after a restart, with either setting', async (t) => {
  for (const fsync of ['batch', 'off'] as const) {
    const data = tempDir();
    const a = await startDurableAgent(data, { fsync });
    await a.client.post('/repos', { name: 'r', defaultBranch: 'trunk', description: 'd' });
    const shas: string[] = [];
    for (let i = 0; i < 5; i++) shas.push((await a.client.post('/repos/r/commits', commitBody('trunk', { f: `${i}` }))).body.sha);
    await a.close();
    const b = await startDurableAgent(data, { fsync });
    try {
      const repo = (await b.client.get('/repos/r')).body;
      t.like(repo, { head: shas[4], seq: 5, defaultBranch: 'trunk', description: 'd' }, fsync);
      t.is((await b.client.post('/repos/r/commits', commitBody('trunk', { f: 'after' }))).status, 201);
    } finally {
      await b.close();
    }
  }
});

test('more repositories than open journals: descriptors stay bounded, and an evicted journal gives its preallocation back', async (t) => {
  for (const fsync of ['batch', 'off'] as const) {
    const data = tempDir();
    const a = await startDurableAgent(data, { fsync });
    const journalFds = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).startsWith(join(data, 'repos'));
      } catch {
        return false;
      }
    }).length;
    try {
      for (let i = 0; i < 300; i++) {
        const name = `r${String(i).padStart(3, '0')}`;
        t.is((await a.client.post('/repos', { name })).status, 201);
        t.is((await a.client.post(`/repos/${name}/commits`, commitBody('main', { f: `${i}` }))).status, 201);
      }
      t.true(journalFds() <= 256, `${journalFds()} journal descriptors open (${fsync})`);
      // The first repositories' journals were closed: no zeros left past their records.
      const path = join(data, 'repos', 'r000', 'journal');
      const fd = openSync(path, 'r');
      const kinds = [...journalEntries(fileSource(fd))].map((e) => e.kind);
      closeSync(fd);
      t.deepEqual(kinds, ['record'], fsync);
      t.true(statSync(path).size < 4096);
      // Still writable (the journal opens again).
      t.is((await a.client.post('/repos/r000/commits', commitBody('main', { f: 'again' }))).status, 201);
    } finally {
      await a.close();
    }
    t.is(journalFds(), 0, 'every journal closed');
  }
});
