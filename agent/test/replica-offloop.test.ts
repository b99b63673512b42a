// A replica installs a change or snapshot of several frames off its event loop (a worker decodes and checks it, the
// objects are adopted in bounded turns, the change applied in one step at its seq): the same repository as the in-loop
// path, a refused one changes nothing, a worker that dies mid-install leaves the copy as it was (the stream closes and
// the next one re-sends the change), and a change that arrives meanwhile waits its turn. ReplicaRole driven through a
// fake peer connection; then a real cluster whose replica answers /healthz within 100 ms while it installs express.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { encodeChange } from '../src/persistence/change-codec.js';
import { ReplicaRole, type ReplicaHost } from '../src/replication/replica-role.js';
import { repoChecksum } from '../src/replication/checksum.js';
import { FRAME_BYTES, snapshotFrames } from '../src/replication/snapshot.js';
import type { PeerConnector } from '../src/replication/peer.js';
import { hashObject } from '../src/git/objects.js';
import { Repository, type Change } from '../src/store/repository.js';
import { workerPool } from '../src/workers/pool.js';
import type { PrimaryMessage, ReplicaMessage } from '../../proto/gen/govc/v1/replication.js';
import { Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { rawTree } from './helpers/fsck-corpus.js';
import { spawnAgent, AUTHOR } from './helpers/agent.js';
import { assertLoopFree, probeWhile } from './helpers/loop-probe.js';
import { assignAll, converged, startCluster, stopAll } from './helpers/replication-cluster.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const meta = () => ({ name: 'r', description: '', defaultBranch: 'main', createdAt: '2026-01-01T00:00:00.000Z' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** A replica of repository "r" at epoch 1 whose primary is a function call away; each new stream says hello at once. */
function replica() {
  let current = new Repository(meta());
  let deliver: (m: PrimaryMessage) => void = () => {};
  const state = { streams: 0, closed: 0, installed: 0, acks: [] as number[], warnings: [] as string[] };
  const host: ReplicaHost = {
    repo: () => current,
    installSnapshot: (change, _m, prepared) => {
      state.installed++;
      current = prepared?.repo ?? new Repository(meta());
      current.applyRecorded(change);
    },
    newerEpoch: () => {},
    log: { warn: (msg, m) => state.warnings.push(`${msg} ${JSON.stringify(m)}`), info: () => {} },
  };
  const peers: PeerConnector = {
    stream: (_addr, onMessage, onEnd) => {
      state.streams++;
      deliver = onMessage;
      queueMicrotask(() => onMessage({ body: { $case: 'hello', value: { epoch: 1, seq: current.seq, httpAddr: '', lastEpoch: current.lastEpoch } } }));
      return {
        send: (m: ReplicaMessage) => void (m.body?.$case === 'ack' && state.acks.push(m.body.value.appliedSeq)),
        close: () => {
          state.closed++;
          queueMicrotask(() => onEnd());
        },
      };
    },
    checksum: async () => ({ seq: 0, checksum: '' }) as never,
  };
  const role = new ReplicaRole({ repo: 'r', role: 'replica', epoch: 1, primaryAddr: 'p', members: [], writeConcern: 'async' }, host, peers, 'me');
  role.start();
  return {
    state,
    role,
    repo: () => current,
    /** Streams `c` as the primary does: frames of at most FRAME_BYTES. */
    change: (c: Change) => {
      const bytes = encodeChange(c);
      for (let at = 0; at < bytes.length || at === 0; at += FRAME_BYTES) {
        const last = at + FRAME_BYTES >= bytes.length;
        deliver({ body: { $case: 'change', value: { seq: c.seq, epoch: 1, data: bytes.subarray(at, at + FRAME_BYTES), last, headSeq: c.seq } } });
        if (last) break;
      }
    },
    snapshot: (from: Repository, format: 'record' | 'pack' = 'record') => {
      for (const f of snapshotFrames(from, 1, format)) deliver({ body: { $case: 'snapshot', value: f } });
    },
  };
}

/** A commit whose blobs weigh `mib` MiB in all (several frames), plus `hostile`: a tree holding a ".GIT" entry. */
function bigChange(seq: number, mib: number, opts: { hostile?: boolean; parent?: string; old?: string | null } = {}): Change {
  const objects: Change['objects'] = [];
  const entries: [string, string, string][] = [];
  for (let i = 0; i < mib; i++) {
    const data = randomBytes(1024 * 1024);
    const id = hashObject('blob', data);
    objects.push({ id, type: 'blob', data });
    entries.push(['100644', `f${String(i).padStart(3, '0')}`, id]);
  }
  if (opts.hostile) {
    const sub = rawTree([['100644', 'config', entries[0][2]]]);
    const subId = hashObject('tree', sub);
    objects.push({ id: subId, type: 'tree', data: sub });
    entries.unshift(['40000', '.GIT', subId]);
  }
  const tree = rawTree(entries);
  const treeId = hashObject('tree', tree);
  objects.push({ id: treeId, type: 'tree', data: tree });
  const parent = opts.parent ? `parent ${opts.parent}\n` : '';
  const commit = Buffer.from(`tree ${treeId}\n${parent}author T <t@x> ${1_700_000_000 + seq} +0000\ncommitter T <t@x> ${1_700_000_000 + seq} +0000\n\nc${seq}\n`);
  const commitId = hashObject('commit', commit);
  objects.push({ id: commitId, type: 'commit', data: commit });
  return { seq, epoch: 1, objects, refs: [{ name: 'refs/heads/main', old: opts.old ?? null, new: commitId }] };
}

const commitOf = (c: Change) => c.refs[0].new!;

/** The repository the in-loop path builds from the same changes. */
function reference(changes: Change[]): Repository {
  const r = new Repository(meta());
  for (const c of changes) r.applyRecorded(c);
  return r;
}

test.serial('a change of several frames is applied at its seq, as the in-loop path would, and a small one arriving meanwhile waits its turn', async (t) => {
  const r = replica();
  await until('hello', () => r.state.streams === 1);
  const large = bigChange(1, 6);
  const small = bigChange(2, 0, { parent: commitOf(large), old: commitOf(large) });
  r.change(large);
  r.change(small);
  // The large one is in a worker: nothing applied yet, and the small one (seq 2) is not applied out of order.
  t.is(r.repo().seq, 0);
  await until('both applied', () => r.repo().seq === 2 || r.state.closed > 0);
  t.is(r.state.closed, 0, r.state.warnings.join('\n'));
  t.deepEqual(r.state.acks, [1, 2]);
  t.is(repoChecksum(r.repo()), repoChecksum(reference([large, small])));
  t.is(r.repo().getRef('refs/heads/main'), commitOf(small));
  for (const o of large.objects) t.deepEqual(r.repo().objects.readObject(o.id)?.data, o.data);
});

test.serial('a change of several frames that git\'s fsck refuses (checked in the worker) changes nothing, and the stream closes', async (t) => {
  const r = replica();
  await until('hello', () => r.state.streams === 1);
  r.change(bigChange(1, 3, { hostile: true }));
  await until('refusal', () => r.state.closed > 0);
  t.is(r.repo().seq, 0);
  t.is(r.repo().objects.size, 0);
  t.deepEqual(r.state.acks, []);
  t.regex(r.state.warnings.join('\n'), /hasDotgit/);

  // A tampered object (its id not the hash of its bytes) on the same path.
  const r2 = replica();
  await until('hello', () => r2.state.streams === 1);
  const c = bigChange(1, 3);
  c.objects[1].data = Buffer.from(c.objects[1].data).fill(7, 0, 16);
  r2.change(c);
  await until('refusal', () => r2.state.closed > 0);
  t.is(r2.repo().seq, 0);
  t.is(r2.repo().objects.size, 0);
  t.regex(r2.state.warnings.join('\n'), /hashMismatch/);
});

test.serial('a snapshot of several frames is installed whole (objects, refs, seq) or, when fsck refuses it, not at all', async (t) => {
  const clean = reference([bigChange(1, 4)]);
  const r = replica();
  await until('hello', () => r.state.streams === 1);
  const before = r.repo();
  r.snapshot(clean);
  t.is(r.repo(), before); // swapped in only once installed
  await until('install', () => r.state.installed === 1 || r.state.closed > 0);
  t.is(r.state.closed, 0, r.state.warnings.join('\n'));
  t.not(r.repo(), before);
  t.is(r.repo().seq, 1);
  t.is(repoChecksum(r.repo()), repoChecksum(clean));
  await until('ack', () => r.state.acks.length === 1);
  t.deepEqual(r.state.acks, [1]);

  // From an agent that sends packs: the same repository.
  const r3 = replica();
  await until('hello', () => r3.state.streams === 1);
  r3.snapshot(clean, 'pack');
  await until('install', () => r3.state.installed === 1 || r3.state.closed > 0);
  t.is(r3.state.closed, 0, r3.state.warnings.join('\n'));
  t.is(r3.repo().seq, 1);
  t.is(repoChecksum(r3.repo()), repoChecksum(clean));

  const hostile = new Repository(meta());
  hostile.replay(bigChange(1, 3, { hostile: true })); // bypasses every check, as a corrupt or hostile primary could
  const r2 = replica();
  await until('hello', () => r2.state.streams === 1);
  const untouched = r2.repo();
  r2.snapshot(hostile);
  await until('refusal', () => r2.state.closed > 0);
  t.is(r2.state.installed, 0);
  t.is(r2.repo(), untouched);
  t.is(r2.repo().objects.size, 0);
  t.regex(r2.state.warnings.join('\n'), /hasDotgit/);
});

test.serial('a worker thread that dies mid-install leaves the replica as it was; the next stream re-sends the change and it applies', async (t) => {
  const r = replica();
  await until('hello', () => r.state.streams === 1);
  const first = bigChange(1, 2);
  r.change(first);
  await until('first applied', () => r.repo().seq === 1);
  const before = { seq: r.repo().seq, refs: r.repo().listRefs(), objects: r.repo().objects.size, checksum: repoChecksum(r.repo()) };
  const large = bigChange(2, 64, { parent: commitOf(first), old: commitOf(first) });
  r.change(large);
  await until('a worker thread', () => workerPool('tasks').threads.length > 0);
  await sleep(20);
  for (const w of workerPool('tasks').threads) void w.terminate();
  await until('the stream to close', () => r.state.closed > 0);
  t.regex(r.state.warnings.join('\n'), /worker_failed|stopped|terminated/i);
  t.deepEqual({ seq: r.repo().seq, refs: r.repo().listRefs(), objects: r.repo().objects.size, checksum: repoChecksum(r.repo()) }, before);
  t.deepEqual(r.state.acks, [1]);
  // It reconnects (its Subscribe says seq 1) and the primary streams the change again.
  await until('a new stream', () => r.state.streams === 2);
  await sleep(10);
  r.change(large);
  await until('re-sent change applied', () => r.repo().seq === 2 || r.state.closed > 1);
  t.is(r.repo().seq, 2, r.state.warnings.join('\n'));
  t.is(repoChecksum(r.repo()), repoChecksum(reference([first, large])));
  t.deepEqual(r.state.acks, [1, 2]);
});

test.serial('a replica\'s /healthz answers within 100 ms while it installs express as a change, then as a snapshot', async (t) => {
  const [control] = await Promise.all([spawnAgent({ GOVC_DATA_DIR: '' })]);
  const nodes = await startCluster(3, { GOVC_ANTI_ENTROPY_MS: '600000' });
  try {
    const [p, r1, r2] = nodes;
    // What is measured is the replicas' own loops: the primary, which streams from its workers, runs at a lower
    // priority on the two cores they share.
    setPriority(p.proc.child.pid!, 10);
    await assignAll(nodes, 'ex', p, 1, WriteConcern.WRITE_CONCERN_ASYNC, [p]);
    const imported = await p.proc.client.post('/repos/ex/bundle', readFileSync(EXPRESS_BUNDLE));
    t.is(imported.status, 200);
    const importSeq = Number(imported.headers.get('x-govc-seq'));
    // r1 joins empty: it gets the import's changes (8 MiB each, several frames)
    const one = await probeWhile(r1.proc.root, async () => {
      await assignAll(nodes, 'ex', p, 1, WriteConcern.WRITE_CONCERN_ASYNC, [r1]);
      return converged([p, r1], 'ex', 120_000);
    }, { pid: r1.proc.child.pid, controlRoot: control.root });
    t.is(one.result.appliedSeq, importSeq);
    assertLoopFree(t, 'a replica installing express as changes', one.report);
    // one more write pushes the import out of the window (64 MiB): r2 gets a snapshot
    t.is((await p.proc.client.post('/repos/ex/commits', { branch: 'master', message: 'one more', author: AUTHOR, files: [{ path: 'x', content: 'x' }] })).status, 201);
    await converged([p, r1], 'ex', 60_000);
    const sent = await p.admin.state('ex');
    const two = await probeWhile(r2.proc.root, async () => {
      await r2.admin.assign({ repo: 'ex', epoch: 1, role: Role.ROLE_REPLICA, primaryAddr: p.grpc, members: nodes.map((n) => n.grpc), writeConcern: WriteConcern.WRITE_CONCERN_ASYNC });
      return converged(nodes, 'ex', 120_000);
    }, { pid: r2.proc.child.pid, controlRoot: control.root });
    t.is(two.result.appliedSeq, importSeq + 1);
    t.is(two.result.checksum, sent.checksum);
    assertLoopFree(t, 'a replica installing a snapshot of express', two.report);
  } finally {
    await stopAll(nodes);
    await control.stop();
  }
});
