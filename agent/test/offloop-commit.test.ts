// Large REST commits and Admin RepoStates of many refs never stall the event loop: a child agent answers /healthz
// (probed from a process of its own, an idle control agent beside it) within 100 ms while a commit of 20,000 files is
// computed in a worker and while GetRepoState answers for 100,000 refs. A large commit gives the commit the in-loop path
// gives for the same input (and git fsck --strict passes on the export), the same refusals for hostile input, 409 and
// nothing changed when the branch moved while the worker computed, and 503 worker_failed with nothing changed when the
// worker dies. A RepoState encoded in a worker decodes to the very state the in-loop path builds.
import test from 'ava';
import { credentials, Metadata } from '@grpc/grpc-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startAgent, spawnAgent, freePort, AUTHOR, type InProcessAgent } from './helpers/agent.js';
import { git, gitText, makeTempDir, makeTempRepo, removeTempDir } from './helpers/git-cli.js';
import { assertLoopFree, probeWhile } from './helpers/loop-probe.js';
import { AdminClient, RepoState, RepoStateBatch, Role } from '../../proto/gen/govc/v1/admin.js';
import { createCommit, type CommitInput, type FileWrite } from '../src/commands/commit.js';
import { COMMIT_ON_LOOP_PATHS, commitOffLoop, commitPlace } from '../src/commands/commit-off-loop.js';
import { toIdentity } from '../src/commands/identity.js';
import { GovcError } from '../src/errors.js';
import { repoChecksum } from '../src/replication/checksum.js';
import type { ReplicationManager } from '../src/replication/manager.js';
import { Repository } from '../src/store/repository.js';
import { encodedBytes, isEncoded } from '../src/transports/grpc/encoded-reply.js';
import { encodeStateBatch, repoStateReply, STATE_REFS_ON_LOOP } from '../src/transports/grpc/repo-state.js';
import { packFiles, unpackFiles } from '../src/workers/commit-task.js';
import { workerPool } from '../src/workers/pool.js';

const TOKEN = 'test-token-0123456789abcdef';
const BIG = 2 * COMMIT_ON_LOOP_PATHS;

/** `n` files in 100 directories under `dir`. */
function manyFiles(dir: string, n: number, tag = ''): { path: string; content: string }[] {
  return Array.from({ length: n }, (_, i) => ({ path: `${dir}/d${i % 100}/f${i}.txt`, content: `${tag}${i}\n` }));
}

/** A bundle of one commit and `refs` more branches on it. */
function manyRefsBundle(refs: number): Buffer {
  const dir = makeTempRepo({ bare: true });
  try {
    const parts = ['commit refs/heads/main\nmark :1\ncommitter Gen <gen@example.com> 1700000000 +0000\ndata 4\nrefs\nM 100644 inline a\ndata 2\na\n\n'];
    for (let i = 0; i < refs; i++) parts.push(`reset refs/heads/b/${i}\nfrom :1\n\n`);
    parts.push('done\n');
    git(['fast-import', '--quiet', '--done'], { cwd: dir, input: parts.join('') });
    git(['bundle', 'create', '-q', join(dir, 'r.bundle'), '--all'], { cwd: dir });
    return readFileSync(join(dir, 'r.bundle'));
  } finally {
    removeTempDir(dir);
  }
}

function admin(addr: string) {
  // 100,000 refs are over gRPC's default 4 MiB for a client
  const client = new AdminClient(addr, credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 << 20 });
  const md = new Metadata();
  md.set('authorization', `Bearer ${TOKEN}`);
  const call = <Req, Res>(method: 'getRepoState' | 'getRepoStates', req: Req) => new Promise<Res>((res, rej) => {
    (client[method] as unknown as (r: Req, m: Metadata, cb: (e: Error | null, v: Res) => void) => void).call(client, req, md, (e, v) => (e ? rej(e) : res(v)));
  });
  return {
    state: (repo: string) => call<{ repo: string }, RepoState>('getRepoState', { repo }),
    states: (repos: string[]) => call<{ repos: string[] }, RepoStateBatch>('getRepoStates', { repos }),
    close: () => client.close(),
  };
}

test('where a commit is computed: small ones on the loop, many paths or many unhashed bytes in a worker', (t) => {
  t.is(commitPlace(1, 1024), 'loop');
  t.is(commitPlace(COMMIT_ON_LOOP_PATHS, 0), 'loop');
  t.is(commitPlace(COMMIT_ON_LOOP_PATHS + 1, 0), 'worker');
  t.is(commitPlace(1, 64 << 20), 'worker');
});

test('files packed for a worker come back as they were, shared contents as views of the same memory', (t) => {
  const shared = new SharedArrayBuffer(8);
  Buffer.from(shared).write('shared!!');
  const files: FileWrite[] = [
    { path: 'a', content: Buffer.from('one'), mode: '100644' },
    { path: 'dir/é\n', content: Buffer.alloc(0), mode: '100755' },
    { path: 'big', content: Buffer.from(shared, 2, 4), mode: '120000' },
    { path: 'z', content: Buffer.from('last'), mode: '100644' },
  ];
  const packed = packFiles(files);
  t.is(packed.contents.byteLength, 7, 'shared contents are not copied');
  const back = unpackFiles(structuredClone(packed));
  t.deepEqual(back.map((f) => [f.path, f.mode, f.content.toString()]), files.map((f) => [f.path, f.mode, f.content.toString()]));
  Buffer.from(shared).write('X', 2);
  t.is(back[2].content.toString(), 'Xred', 'the same memory');
});

/** The same commit on this thread (createCommit) as the route makes it. */
function loopInput(body: { branch: string; message: string; files: { path: string; content: string }[]; deletes?: string[] }): CommitInput {
  const author = toIdentity(AUTHOR, 'author');
  return {
    branch: body.branch, message: body.message, author, committer: author, deletes: body.deletes ?? [],
    files: body.files.map((f) => ({ path: f.path, content: Buffer.from(f.content), mode: '100644' })),
  };
}

test('a large commit computed in a worker is the commit the loop makes of the same input, and git fsck --strict passes', async (t) => {
  const a = await startAgent();
  try {
    const seed = { branch: 'main', message: 'seed', author: AUTHOR, files: [...manyFiles('old', 300), { path: 'keep.txt', content: 'keep\n' }] };
    for (const name of ['w', 'l']) {
      await a.client.post('/repos', { name });
      t.is((await a.client.post(`/repos/${name}/commits`, seed)).status, 201);
    }
    // deletes, writes into existing directories and new ones, and one content large enough to be prepared (hashed into
    // shared memory) by the JSON body worker: the body is over 1 MiB
    const big = {
      branch: 'main', message: 'many files\n\nbody', deletes: manyFiles('old', 100).map((f) => f.path),
      files: [...manyFiles('old', 300, 'v2 ').slice(100, 200), ...manyFiles('new', BIG), { path: 'huge.txt', content: 'x'.repeat(1_200_000) }],
    };
    const viaWorker = await a.client.post('/repos/w/commits', { ...big, author: AUTHOR });
    t.is(viaWorker.status, 201, JSON.stringify(viaWorker.body));
    const repoL = a.store.get('l');
    const onLoop = createCommit(repoL, loopInput(big));
    t.is(viaWorker.body.sha, onLoop.sha);
    t.is(viaWorker.body.tree, onLoop.tree);
    t.deepEqual(viaWorker.body.parents, onLoop.parents);
    t.is(a.store.get('w').objects.size, repoL.objects.size);

    const dir = makeTempDir();
    try {
      writeFileSync(join(dir, 'w.bundle'), (await a.client.get('/repos/w/bundle')).raw);
      git(['clone', '-q', '--mirror', join(dir, 'w.bundle'), join(dir, 'w.git')]);
      git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'w.git') });
      const paths = gitText(['ls-tree', '-r', '--name-only', 'main'], { cwd: join(dir, 'w.git') }).trim().split('\n');
      t.is(paths.length, 200 + BIG + 2);
      t.is(git(['show', 'main:old/d50/f150.txt'], { cwd: join(dir, 'w.git') }).toString(), 'v2 150\n');
      t.false(paths.includes('old/d0/f0.txt'));
    } finally {
      removeTempDir(dir);
    }
  } finally {
    await a.close();
  }
});

test('hostile input in a large commit is refused as in a small one, and nothing changes', async (t) => {
  const a = await startAgent();
  try {
    await a.client.post('/repos', { name: 'h' });
    t.is((await a.client.post('/repos/h/commits', { branch: 'main', message: 'seed', author: AUTHOR, files: [{ path: 'file', content: 'f' }] })).status, 201);
    const repo = a.store.get('h');
    const before = { seq: repo.seq, refs: repo.listRefs(), objects: repo.objects.size };
    const hostile: [string, Record<string, unknown>][] = [
      ['.git alias', { files: [{ path: '.git/config', content: '[core]' }] }],
      ['NTFS alias', { files: [{ path: 'GIT~1/config', content: '[core]' }] }],
      ['mode', { files: [{ path: 'm', content: 'm', mode: '100666' }] }],
      ['.gitmodules symlink', { files: [{ path: '.gitmodules', content: '/etc/passwd', mode: '120000' }] }],
      ['hostile .gitmodules', { files: [{ path: '.gitmodules', content: '[submodule "x"]\n\tpath = x\n\turl = --upload-pack=evil\n' }] }],
      ['file under a file', { files: [{ path: 'file/x', content: 'x' }] }],
      ['delete of nothing', { files: [], deletes: ['no/such/path'] }],
      ['duplicate', { files: [{ path: 'dup', content: '1' }, { path: 'dup', content: '2' }] }],
      ['branch', { branch: 'a..b' }],
      ['missing branch', { branch: 'nope', createBranch: false }],
      ['head moved', { expectedHead: '0'.repeat(40) }],
    ];
    for (const [what, extra] of hostile) {
      const base = { branch: 'main', message: 'hostile', author: AUTHOR };
      const extraFiles = (extra.files as unknown[] | undefined) ?? [];
      const small = await a.client.post('/repos/h/commits', { ...base, ...extra, files: extraFiles.length ? extraFiles : [{ path: 'ok', content: 'ok' }] });
      const large = await a.client.post('/repos/h/commits', { ...base, ...extra, files: [...manyFiles('many', BIG), ...extraFiles] });
      t.true(small.status >= 400 && small.status < 500, `${what}: ${small.status}`);
      const view = (r: typeof small) => ({ status: r.status, code: (r.body as { error: { code: string } }).error.code, details: (r.body as { error: { details?: unknown } }).error.details });
      t.deepEqual(view(large), view(small), what);
      t.deepEqual({ seq: repo.seq, refs: repo.listRefs(), objects: repo.objects.size }, before, what);
    }
  } finally {
    await a.close();
  }
});

test.serial('a branch that moves while a large commit is computed: 409 ref_conflict, and nothing of the commit is stored', async (t) => {
  const repo = new Repository({ name: 'cas', description: '', defaultBranch: 'main', createdAt: '' });
  createCommit(repo, loopInput({ branch: 'main', message: 'seed', files: [{ path: 'a', content: 'a' }] }));
  // Computing: the head was read and the task handed to a worker before this call returned.
  const pending = commitOffLoop(repo, loopInput({ branch: 'main', message: 'big', files: manyFiles('many', BIG) }));
  const moved = createCommit(repo, loopInput({ branch: 'main', message: 'meanwhile', files: [{ path: 'late', content: 'late' }] }));
  const objects = repo.objects.size;
  const seq = repo.seq;
  const e = await t.throwsAsync(pending, { instanceOf: GovcError });
  t.is(e?.kind, 'conflict');
  t.is(e?.code, 'ref_conflict');
  t.is(e?.details?.current, moved.sha);
  t.is(repo.getRef('refs/heads/main'), moved.sha);
  t.is(repo.objects.size, objects);
  t.is(repo.seq, seq);
});

test.serial('a worker thread that dies mid-commit fails that commit with 503 worker_failed and changes nothing', async (t) => {
  const a: InProcessAgent = await startAgent();
  try {
    await a.client.post('/repos', { name: 'k' });
    t.is((await a.client.post('/repos/k/commits', { branch: 'main', message: 'seed', author: AUTHOR, files: [{ path: 'a', content: 'a' }] })).status, 201);
    const repo = a.store.get('k');
    const before = { seq: repo.seq, refs: repo.listRefs(), objects: repo.objects.size };
    let settled = false;
    const pending = a.client.post('/repos/k/commits', { branch: 'main', message: 'big', author: AUTHOR, files: manyFiles('many', 20_000) })
      .finally(() => (settled = true));
    // Every thread of the pool that computes commits is killed until the request is answered: whichever runs it dies.
    const killed = new WeakSet<object>(); // each once: every terminate() call adds an exit listener to its thread
    while (!settled) {
      for (const w of workerPool('queries').threads) {
        if (killed.has(w)) continue;
        killed.add(w);
        void w.terminate();
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    const r = await pending;
    t.is(r.status, 503, JSON.stringify(r.body));
    t.is((r.body as { error: { code: string } }).error.code, 'worker_failed');
    t.deepEqual({ seq: repo.seq, refs: repo.listRefs(), objects: repo.objects.size }, before);
    const again = await a.client.post('/repos/k/commits', { branch: 'main', message: 'big', author: AUTHOR, files: manyFiles('many', BIG) });
    t.is(again.status, 201);
  } finally {
    await a.close();
  }
});

test('a RepoState a worker encodes decodes to the state the loop builds; a batch of them encodes as RepoStateBatch does', async (t) => {
  const repo = new Repository({ name: 'refs', description: '', defaultBranch: 'main', createdAt: '' });
  const first = createCommit(repo, loopInput({ branch: 'main', message: 'seed', files: [{ path: 'a', content: 'a' }] }));
  repo.apply([], Array.from({ length: STATE_REFS_ON_LOOP + 500 }, (_, i) => ({ name: `refs/heads/b/${i}`, old: null, new: first.sha })));
  const state: RepoState = {
    repo: 'refs', role: Role.ROLE_PRIMARY, epoch: 3, appliedSeq: repo.seq, lastEpoch: 2, refs: [], checksum: '', primaryAddr: '127.0.0.1:1',
    writeConcern: 1, members: [{ addr: '127.0.0.1:2', ackedSeq: 1, connected: true, inSync: false, sentSeq: 2, stalled: false, bufferedMessages: 0 }],
    inSync: true, fenced: false, assignmentEpoch: 3, damaged: false, damage: '',
  };
  const manager = { stateWithoutRefs: () => ({ state, held: repo }) } as unknown as ReplicationManager;
  const reply = await repoStateReply(manager, 'refs');
  t.true(isEncoded(reply), 'encoded in a worker');
  if (!isEncoded(reply)) return;
  const refs = repo.listRefs('');
  const expected: RepoState = { ...state, refs: refs.map(([name, id]) => ({ name, id })), checksum: repoChecksum(repo) };
  t.deepEqual(Buffer.from(encodedBytes(reply)), Buffer.from(RepoState.encode(expected).finish()));
  t.deepEqual(RepoState.decode(encodedBytes(reply)), expected);

  const small: RepoState = { ...state, refs: [{ name: 'refs/heads/main', id: first.sha }] };
  const batch = [{ code: 0, message: '', state: reply }, { code: 5, message: 'not here', state: undefined }, { code: 0, message: '', state: small }];
  const plain = RepoStateBatch.encode({ results: [{ code: 0, message: '', state: expected }, batch[1] as never, { code: 0, message: '', state: small }] }).finish();
  t.deepEqual(Buffer.from(encodedBytes(encodeStateBatch(batch))), Buffer.from(plain));
});

test.serial('/healthz answers within 100 ms while a commit of 20,000 files is made and GetRepoState answers for 100,000 refs', async (t) => {
  t.timeout(240_000);
  const bundle = manyRefsBundle(100_000);
  const grpc = `127.0.0.1:${await freePort()}`;
  const env = { GOVC_DATA_DIR: '', GOVC_TOKEN: TOKEN, GOVC_ANTI_ENTROPY_MS: '600000' };
  const [a, control] = await Promise.all([spawnAgent({ ...env, GOVC_GRPC_ADDR: grpc }), spawnAgent({ ...env, GOVC_GRPC_ADDR: `127.0.0.1:${await freePort()}` })]);
  const ad = admin(grpc);
  const probe = { pid: a.child.pid, controlRoot: control.root };
  try {
    await a.client.post('/repos', { name: 'c' });
    t.is((await a.client.post('/repos/c/commits', { branch: 'main', message: 'seed', author: AUTHOR, files: [{ path: 'a', content: 'a' }] })).status, 201);
    await a.client.post('/repos', { name: 'r' });
    t.is((await a.client.post('/repos/r/bundle', bundle)).status, 200);
    // warm the threads up: their own start is not what is measured
    await a.client.post('/repos/c/commits', { branch: 'warm', message: 'warm', author: AUTHOR, files: manyFiles('warm', BIG) });
    await ad.state('c');

    const commit = await probeWhile(a.root, () => a.client.post('/repos/c/commits', {
      branch: 'main', message: 'many files', author: AUTHOR, files: manyFiles('wide', 20_000),
    }), probe);
    t.is(commit.result.status, 201, JSON.stringify(commit.result.body));
    assertLoopFree(t, 'a commit of 20,000 files', commit.report);

    const state = await probeWhile(a.root, async () => [await ad.state('r'), await ad.states(['r', 'c'])] as const, probe);
    const [one, batch] = state.result;
    t.is(one.refs.length, 100_001);
    t.deepEqual(one.refs.slice(0, 2).map((r) => r.name), ['refs/heads/b/0', 'refs/heads/b/1']);
    t.is(one.refs.at(-1)?.name, 'refs/heads/main');
    t.is(one.checksum.length, 64);
    t.deepEqual(batch.results[0].state, one);
    t.is(batch.results[1].state?.refs.length, 2);
    assertLoopFree(t, 'GetRepoState of 100,000 refs', state.report);
  } finally {
    ad.close();
    await Promise.all([a.stop(), control.stop()]);
  }
});
