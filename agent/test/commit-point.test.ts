// The commit point on REST, with in-process agents whose journal writes and syncs the test holds back or breaks: a read
// never sees a change before it is durable (refs, the repository's seq and head, files, history, exports), while writes
// build on the newest state; the answer to a write comes once its change is committed, and any other answer to a write
// that could describe a pending change waits too. Concurrent writes under slow syncs replay to the same state; a write
// or sync failing mid-queue fails everything behind it and shows nothing that is not on disk.
import test from 'ava';
import { LocalDiskPersistence } from '../src/persistence/local-disk.js';
import { repoChecksum } from '../src/replication/checksum.js';
import { RepositoryStore } from '../src/store/repository-store.js';
import { commitBody, tempDir, type Client } from './helpers/agent.js';
import { ControlledWrite } from './helpers/controlled-write.js';
import { ControlledSync, metric, startDurableAgent } from './helpers/durable-agent.js';
import type { SyncFn } from '../src/persistence/group-commit.js';
import { fdatasyncFn } from '../src/persistence/group-commit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean, ms = 10000): Promise<void> {
  for (const deadline = Date.now() + ms; !fn(); await sleep(2)) if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
}

/** Whether `p` has settled after the loop had time to answer it. */
async function settled(p: Promise<unknown>, ms = 100): Promise<boolean> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  await sleep(ms);
  return done;
}

/** What every read route shows of branch `main` and the repository. */
async function readsOf(c: Client, repo: string) {
  const meta = (await c.get(`/repos/${repo}`)).body;
  const branch = (await c.get(`/repos/${repo}/branches/main`)).body;
  const log = (await c.get(`/repos/${repo}/commits?ref=main&limit=5`)).body.commits.map((x: { sha: string }) => x.sha);
  const file = (await c.get(`/repos/${repo}/files/f?ref=main`)).raw.toString();
  const bundle = (await c.get(`/repos/${repo}/bundle`)).raw;
  const packAt = bundle.indexOf('PACK');
  return {
    seq: meta.seq as number, head: meta.head as string, objects: meta.objects as number, branch: branch.sha as string, log: log as string[], file,
    bundleHead: /^([0-9a-f]{40}) refs\/heads\/main$/m.exec(bundle.subarray(0, packAt).toString())?.[1],
    bundleObjects: bundle.readUInt32BE(packAt + 8),
  };
}

test('a read never sees a change before it is durable; writes build on it meanwhile and are answered once it is', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn });
  try {
    const c = a.client;
    await c.post('/repos', { name: 'v' });
    const base = (await c.post('/repos/v/commits', commitBody('main', { f: '0' }))).body.sha;
    const repo = a.store.get('v');
    const before = await readsOf(c, 'v');
    t.like(before, { seq: 1, head: base, branch: base, file: '0', bundleHead: base });

    sync.hold();
    const first = c.post('/repos/v/commits', commitBody('main', { f: '1' }));
    await until('the commit applied in memory', () => repo.seq === 2);
    // Another writer's compare-and-swap sees the pending change (409, naming it), but its answer waits for it too.
    const stale = c.post('/repos/v/commits', commitBody('main', { f: 'x' }, { expectedHead: base }));
    // A commit without expectedHead builds on the pending one.
    const onTop = c.post('/repos/v/commits', commitBody('main', { g: '2' }));
    await until('the second commit applied', () => repo.seq === 3);
    t.deepEqual(await readsOf(c, 'v'), before, 'every read shows the committed state while the change is not durable');
    t.false(await settled(first), 'the write is not answered before it is durable');
    t.false(await settled(stale, 10), 'nor is a refusal that names the pending head');
    t.is(repo.committedSeq, 1);

    sync.release();
    const [r1, r409, r3] = await Promise.all([first, stale, onTop]);
    t.is(r1.status, 201);
    t.is(r409.status, 409);
    t.is(r409.body.error.code, 'head_moved');
    t.is(r409.body.error.current, r1.body.sha);
    t.is(r3.status, 201);
    t.deepEqual(r3.body.parents, [r1.body.sha], 'built on the change that was pending when it was made');
    const after = await readsOf(c, 'v');
    t.like(after, { seq: 3, head: r3.body.sha, branch: r3.body.sha, file: '1', bundleHead: r3.body.sha });
    t.deepEqual(after.log.slice(0, 3), [r3.body.sha, r1.body.sha, base]);
    t.true(after.bundleObjects > before.bundleObjects);
  } finally {
    sync.release();
    await a.close();
  }
});

test('GOVC_FSYNC=off: a change is visible once written to the OS, not before', async (t) => {
  const write = new ControlledWrite();
  const a = await startDurableAgent(tempDir(), { fsync: 'off', writeFn: write.fn });
  try {
    const c = a.client;
    await c.post('/repos', { name: 'o' });
    const base = (await c.post('/repos/o/commits', commitBody('main', { f: '0' }))).body.sha;
    const repo = a.store.get('o');
    write.hold();
    const pending = c.post('/repos/o/commits', commitBody('main', { f: '1' }));
    await until('the commit applied and its write started', () => repo.seq === 2 && write.running() === 1);
    t.is((await c.get('/repos/o/branches/main')).body.sha, base);
    t.false(await settled(pending));
    write.release();
    const r = await pending;
    t.is(r.status, 201);
    t.is((await c.get('/repos/o/branches/main')).body.sha, r.body.sha);
  } finally {
    write.release();
    await a.close();
  }
});

test('merges, branch and tag creation and deletion check against the newest state and answer once committed', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn });
  try {
    const c = a.client;
    await c.post('/repos', { name: 'm' });
    const base = (await c.post('/repos/m/commits', commitBody('main', { f: '0' }))).body.sha;
    t.is((await c.post('/repos/m/branches', { name: 'feature', from: 'main' })).status, 201);
    const repo = a.store.get('m');
    sync.hold();
    const feature = c.post('/repos/m/commits', commitBody('feature', { g: '1' }));
    await until('the feature commit applied', () => repo.seq === 3);
    // Resolved against the newest refs: the pending commit is there for writers, not for readers.
    t.is((await c.get('/repos/m/branches/feature')).body.sha, base);
    // One at a time (requests on different connections may be taken in any order), each applied before the next.
    const applied = async <T>(p: Promise<T>, seq: number): Promise<{ reply: Promise<T> }> => {
      await until(`seq ${seq} applied`, () => repo.seq === seq);
      return { reply: p };
    };
    const merged = await applied(c.post('/repos/m/merges', { base: 'main', head: 'feature', author: { name: 'A', email: 'a@x' } }), 4);
    const branch = await applied(c.post('/repos/m/branches', { name: 'copy', from: 'feature' }), 5);
    const dup = c.post('/repos/m/branches', { name: 'copy', from: 'main' });
    t.false(await settled(dup), 'a 409 about a pending branch waits for it to be committed');
    const tag = await applied(c.post('/repos/m/tags', { name: 'v1', from: 'feature' }), 6);
    const del = await applied(c.delete('/repos/m/branches/copy'), 7);
    t.deepEqual((await c.get('/repos/m/branches')).body.branches.map((b: { sha: string }) => b.sha), [base, base]);
    t.is((await c.get('/repos/m/tags')).body.tags.length, 0);
    sync.release();
    const [f, mg, br, d, tg, dl] = await Promise.all([feature, merged.reply, branch.reply, dup, tag.reply, del.reply]);
    t.is(f.status, 201);
    t.is(mg.status, 200, JSON.stringify(mg.body));
    t.is(mg.body.status, 'fast_forward');
    t.is(mg.body.sha, f.body.sha);
    t.like(br, { status: 201, body: { sha: f.body.sha } });
    t.is(d.status, 409);
    t.is(d.body.error.current, f.body.sha);
    t.is(tg.status, 201);
    t.is(dl.status, 204);
    t.deepEqual((await c.get('/repos/m/branches')).body.branches.map((b: { name: string; sha: string }) => [b.name, b.sha]), [['feature', f.body.sha], ['main', f.body.sha]]);
    t.deepEqual((await c.get('/repos/m/tags')).body.tags.map((x: { sha: string }) => x.sha), [f.body.sha]);
    t.not(base, f.body.sha);
  } finally {
    sync.release();
    await a.close();
  }
});

test('many concurrent writes under slow, uneven syncs: the journal replays to the very state that was served', async (t) => {
  // Syncs take 0-15 ms, in any order of completion across journals; several are in flight per journal.
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const slow: SyncFn = async (fd) => {
    await sleep(Math.floor(random() * 15));
    await fdatasyncFn(fd);
  };
  const data = tempDir();
  const a = await startDurableAgent(data, { syncFn: slow });
  const acked = new Map<string, string[]>();
  try {
    const c = a.client;
    const repos = ['o1', 'o2', 'o3'];
    for (const r of repos) await c.post('/repos', { name: r });
    for (let wave = 0; wave < 6; wave++) {
      const writes: Promise<void>[] = [];
      for (const r of repos) {
        for (let w = 0; w < 12; w++) {
          const branch = `b${w % 4}`;
          writes.push(c.post(`/repos/${r}/commits`, commitBody(branch, { [`f${w}`]: `${wave}.${w}` })).then((x) => {
            if (x.status !== 201) throw new Error(`${x.status} ${JSON.stringify(x.body)}`);
            const list = acked.get(`${r}/${branch}`) ?? [];
            list.push(x.body.sha);
            acked.set(`${r}/${branch}`, list);
          }));
        }
        writes.push(c.post(`/repos/${r}/tags`, { name: `w${wave}`, from: 'b0' }).then(() => undefined));
        if (wave > 0) writes.push(c.delete(`/repos/${r}/tags/w${wave - 1}`).then(() => undefined));
      }
      await Promise.all(writes);
    }
    const live = new Map(repos.map((r) => {
      const repo = a.store.get(r);
      t.is(repo.committedSeq, repo.seq, 'everything answered is committed');
      return [r, { seq: repo.seq, refs: repo.listRefs(''), objects: repo.objects.size, checksum: repoChecksum(repo) }];
    }));
    await a.close();
    const store = new RepositoryStore();
    const report = new LocalDiskPersistence(data, { warn: () => {}, error: () => {} }).loadInto(store);
    t.deepEqual(report.damaged, []);
    t.deepEqual(report.repaired, []);
    for (const r of repos) {
      const repo = store.get(r);
      t.deepEqual({ seq: repo.seq, refs: repo.listRefs(''), objects: repo.objects.size, checksum: repoChecksum(repo) }, live.get(r), r);
      // Each branch's acknowledged commits, in the order they were acknowledged, are its history.
      for (let b = 0; b < 4; b++) {
        const shas = acked.get(`${r}/b${b}`)!;
        t.is(repo.getRef(`refs/heads/b${b}`), shas[shas.length - 1]);
      }
    }
  } finally {
    await a.close().catch(() => {});
  }
});

test('a journal write failing mid-queue: 503 for it and every write behind it, quarantined, and nothing served that is not on disk', async (t) => {
  const write = new ControlledWrite();
  const data = tempDir();
  const a = await startDurableAgent(data, { writeFn: write.fn });
  try {
    const c = a.client;
    for (const name of ['bad', 'good']) {
      await c.post('/repos', { name });
      await c.post(`/repos/${name}/commits`, commitBody('main', { f: '0' }));
    }
    const onDisk = (await c.get('/repos/bad/branches/main')).body.sha;
    const repo = a.store.get('bad');
    write.hold();
    const first = c.post('/repos/bad/commits', commitBody('main', { f: '1' }));
    await until('the first write in flight', () => write.running() === 1);
    const behind = [2, 3, 4].map((i) => c.post('/repos/bad/commits', commitBody('main', { f: `${i}` })));
    const tag = c.post('/repos/bad/tags', { name: 't', from: 'main' });
    await until('all applied in memory', () => repo.seq === 6);
    t.is((await c.get('/repos/bad/branches/main')).body.sha, onDisk, 'queued changes are not visible');
    write.failOn = (path) => path.endsWith('/repos/bad/journal');
    write.release();
    const replies = await Promise.all([first, ...behind, tag]);
    for (const r of replies) {
      t.is(r.status, 503);
      t.is(r.body.error.code, 'repository_damaged');
      t.regex(r.body.error.message, /journal write failed.*ENOSPC/);
      t.is(r.headers.get('x-govc-seq'), null);
    }
    t.is(repo.committedSeq, 1, 'nothing past what is on disk was ever committed');
    for (const path of ['/repos/bad', '/repos/bad/branches/main', '/repos/bad/bundle']) t.is((await c.get(path)).status, 503, path);
    t.is(await metric(a.root, 'govc_repositories_damaged'), 1);
    t.true(a.logs.some((l) => l.message === 'repository quarantined' && l.meta?.repo === 'bad' && /journal write failed/.test(String(l.meta?.damage))));
    write.failOn = undefined;
    t.is((await c.post('/repos/good/commits', commitBody('main', { f: '1' }))).status, 201, 'the other repository takes writes');
    await a.close();
    // What was served is what is on disk.
    const store = new RepositoryStore();
    new LocalDiskPersistence(data, { warn: () => {}, error: () => {} }).loadInto(store);
    t.is(store.get('bad').getRef('refs/heads/main'), onDisk);
    t.is(store.get('bad').seq, 1);
  } finally {
    write.release();
    await a.close().catch(() => {});
  }
});

test('a sync failing mid-queue: the writes written behind it fail with it, none is visible', async (t) => {
  const sync = new ControlledSync();
  const a = await startDurableAgent(tempDir(), { syncFn: sync.fn, maxSyncsInFlight: 1 });
  try {
    const c = a.client;
    await c.post('/repos', { name: 's' });
    const base = (await c.post('/repos/s/commits', commitBody('main', { f: '0' }))).body.sha;
    const repo = a.store.get('s');
    sync.hold();
    const first = c.post('/repos/s/commits', commitBody('main', { f: '1' }));
    await until('its sync started', () => sync.running() === 1);
    const behind = [2, 3].map((i) => c.post('/repos/s/commits', commitBody('main', { f: `${i}` })));
    await until('all written', () => repo.seq === 4);
    sync.failOn = (path) => path.endsWith('/repos/s/journal');
    sync.release();
    for (const r of await Promise.all([first, ...behind])) t.is(r.status, 503);
    t.is(repo.committedSeq, 1);
    t.is(repo.getRef('refs/heads/main'), base);
  } finally {
    sync.release();
    await a.close();
  }
});

test('a repository deleted while its changes are queued: those writes fail, nothing lands in a new repository of the same name', async (t) => {
  const write = new ControlledWrite();
  const data = tempDir();
  const a = await startDurableAgent(data, { writeFn: write.fn });
  try {
    const c = a.client;
    await c.post('/repos', { name: 'd' });
    await c.post('/repos/d/commits', commitBody('main', { f: '0' }));
    const repo = a.store.get('d');
    write.hold();
    const first = c.post('/repos/d/commits', commitBody('main', { f: '1' }));
    await until('the write in flight', () => write.running() === 1);
    const behind = c.post('/repos/d/commits', commitBody('main', { f: '2' }));
    await until('queued', () => repo.seq === 3);
    t.is((await c.delete('/repos/d')).status, 204);
    t.is((await c.post('/repos', { name: 'd' })).status, 201);
    write.release();
    const replies = await Promise.all([first, behind]);
    // Their repository is gone: not acknowledged (the in-flight one may have made it to the old, deleted journal).
    for (const r of replies) t.true(r.status === 503 || r.status === 201, String(r.status));
    t.is((await c.get('/repos/d')).body.seq, 0);
    t.is((await c.get('/repos/d/branches')).body.branches.length, 0);
    await a.close();
    const store = new RepositoryStore();
    new LocalDiskPersistence(data, { warn: () => {}, error: () => {} }).loadInto(store);
    t.is(store.get('d').seq, 0, 'the new repository\'s journal holds nothing of the old one');
    t.deepEqual(store.get('d').listRefs(''), []);
  } finally {
    write.release();
    await a.close().catch(() => {});
  }
});
