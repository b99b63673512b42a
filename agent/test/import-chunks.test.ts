// Imports applied in bounded chunks: express.bundle (33,522 objects) imported in small chunks is the same repository as
// one imported whole; every chunk but the last is objects only and links only to what came before it; the journal
// replays to it; a ref update that loses its race at the end leaves the objects behind and the refs alone (409); a
// replicated import in chunks converges on every replica and the export clones with git.
import test from 'ava';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { importBundle } from '../src/commands/bundle.js';
import { GovcError } from '../src/errors.js';
import { decodeTree, decodeCommit, decodeTag, hashObject, type ObjectId } from '../src/git/objects.js';
import { decodeChange } from '../src/persistence/change-codec.js';
import { LocalDiskPersistence } from '../src/persistence/local-disk.js';
import { fileSource, journalEntries } from '../src/persistence/record-reader.js';
import { repoChecksum } from '../src/replication/checksum.js';
import { RepositoryStore } from '../src/store/repository-store.js';
import { tempDir } from './helpers/agent.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';
import { startDurableAgent } from './helpers/durable-agent.js';
import { git, makeTempDir, removeTempDir } from './helpers/git-cli.js';
import { assignAll, converged, startCluster, stopAll, until } from './helpers/replication-cluster.js';

const SMALL = { objects: 3000, bytes: 4 * 2 ** 20 };

function journalChanges(path: string) {
  const fd = openSync(path, 'r');
  try {
    return [...journalEntries(fileSource(fd))].filter((e) => e.kind === 'record').map((e) => decodeChange((e as { payload: Buffer }).payload));
  } finally {
    closeSync(fd);
  }
}

/** What an object links to. */
function links(type: string, data: Buffer): ObjectId[] {
  if (type === 'tree') return decodeTree(data).filter((e) => e.mode !== '160000').map((e) => e.id);
  if (type === 'commit') {
    const c = decodeCommit(data);
    return [c.tree, ...c.parents];
  }
  if (type === 'tag') return [decodeTag(data).object];
  return [];
}

test('an import in small chunks: the same repository as one imported whole, objects before refs, each chunk linking backwards', async (t) => {
  const data = tempDir();
  const a = await startDurableAgent(data);
  try {
    const bundle = readFileSync(EXPRESS_BUNDLE);
    await a.client.post('/repos', { name: 'whole' });
    await a.client.post('/repos', { name: 'chunked' });
    const whole = await importBundle(a.store.get('whole'), bundle, { chunks: { objects: Infinity, bytes: Infinity } });
    const chunked = await importBundle(a.store.get('chunked'), bundle, { chunks: SMALL });
    const [w, c] = [a.store.get('whole'), a.store.get('chunked')];
    await c.whenDurable(chunked.seq!);
    t.is(whole.seq, 1, 'an import within the limits stays one change');
    t.true(chunked.seq! > 11, `${chunked.seq} changes`);
    t.is(chunked.objects, whole.objects);
    t.deepEqual(chunked.refs, whole.refs);
    t.deepEqual(c.listRefs(''), w.listRefs(''));
    t.is(c.meta.defaultBranch, w.meta.defaultBranch);
    t.is(c.objects.size, w.objects.size);
    t.deepEqual(c.objects.idFold, w.objects.idFold);
    await a.close();

    const changes = journalChanges(join(data, 'repos', 'chunked', 'journal'));
    t.is(changes.length, chunked.seq!);
    const stored = new Set<ObjectId>();
    const all = new Set<ObjectId>(changes.flatMap((ch) => ch.objects.map((o) => o.id)));
    for (const [i, ch] of changes.entries()) {
      const last = i === changes.length - 1;
      t.is(ch.refs.length > 0, last, `change ${ch.seq}: refs only in the last`);
      t.true(ch.objects.length <= SMALL.objects);
      const bytes = ch.objects.reduce((s, o) => s + o.data.length, 0);
      t.true(bytes <= SMALL.bytes || ch.objects.length === 1, `change ${ch.seq} holds ${bytes} bytes`);
      for (const o of ch.objects) stored.add(o.id);
      // Every link among the import's objects points into this chunk or an earlier one.
      for (const o of ch.objects) for (const l of links(o.type, o.data)) if (all.has(l)) t.true(stored.has(l), `${o.id} links forward to ${l}`);
    }
    const store = new RepositoryStore();
    new LocalDiskPersistence(data, { warn: () => {}, error: () => {} }).loadInto(store);
    t.is(repoChecksum(store.get('chunked')), repoChecksum(store.get('whole')));
  } finally {
    await a.close().catch(() => {});
  }
});

test('a ref update that loses its race at the end: 409, the refs untouched, the objects left behind unreferenced', async (t) => {
  const a = await startDurableAgent(tempDir());
  try {
    await a.client.post('/repos', { name: 'race' });
    const repo = a.store.get('race');
    const bundle = readFileSync(EXPRESS_BUNDLE);
    let moved = false;
    const err = await t.throwsAsync(importBundle(repo, bundle, {
      chunks: SMALL,
      // Once the worker is done, another writer takes refs/heads/master first.
      stillCurrent: (r) => {
        if (moved) return;
        moved = true;
        const who = 'A <a@x> 1 +0000';
        const tree = { id: hashObject('tree', Buffer.alloc(0)), type: 'tree' as const, data: Buffer.alloc(0) };
        const data = Buffer.from(`tree ${tree.id}\nauthor ${who}\ncommitter ${who}\n\nfirst\n`);
        const commit = { id: hashObject('commit', data), type: 'commit' as const, data };
        r.apply([tree, commit], [{ name: 'refs/heads/master', old: null, new: commit.id }]);
      },
    }));
    t.true(err instanceof GovcError && err.status === 409, String(err));
    t.is(repo.newest.listRefs('').length, 1, 'only the other writer\'s branch');
    t.true(repo.objects.size > 30000, 'the chunks applied before the refs stay');
  } finally {
    await a.close();
  }
});

test.serial('a replicated import in chunks converges on every replica; the repository then takes writes and exports for git', async (t) => {
  // Replicas take the 157 MiB as it comes (verifying every object): the write concern gets the time that needs here.
  const nodes = await startCluster(3, { GOVC_WRITE_CONCERN_TIMEOUT_MS: '60000' });
  const dir = makeTempDir();
  try {
    const [p] = nodes;
    await assignAll(nodes, 'big', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    const r = await p.proc.client.post('/repos/big/bundle', readFileSync(EXPRESS_BUNDLE));
    t.is(r.status, 200, JSON.stringify(r.body));
    const seq = Number(r.headers.get('x-govc-seq'));
    t.true(seq >= 10, `${seq} changes for 157 MiB in chunks of at most 8 MiB`);
    const state = await converged(nodes, 'big', 60000);
    t.is(state.appliedSeq, seq);
    const after = await p.proc.client.post('/repos/big/commits', { branch: 'master', message: 'after', author: { name: 'A', email: 'a@x' }, files: [{ path: 'AFTER', content: 'x' }] });
    t.is(after.status, 201);
    await converged(nodes, 'big', 30000);
    // Every replica serves the import at the seq the client got, and its export is a repository git accepts.
    for (const n of nodes) {
      const head = await until('replica read', async () => {
        const x = await n.proc.client.request('GET', '/repos/big/branches/master', undefined, { 'x-govc-seq': String(seq + 1) });
        return x.status === 200 ? x : undefined;
      });
      t.is(head.body.sha, after.body.sha, n.name);
    }
    const file = join(dir, 'big.bundle');
    writeFileSync(file, (await nodes[2].proc.client.request('GET', '/repos/big/bundle', undefined, { 'x-govc-seq': String(seq + 1) })).raw);
    git(['clone', '-q', '--bare', file, join(dir, 'clone.git')]);
    git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'clone.git') });
    t.pass();
  } finally {
    removeTempDir(dir);
    await stopAll(nodes);
  }
});
