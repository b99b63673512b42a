// A replica re-checks what its primary streams: each object's id must be the SHA-1 of its data and pass git's fsck
// rules, each branch must name a commit; a refused change or snapshot is not applied and the stream closes (the
// replica reconnects and tries again), as for any refused frame. ReplicaRole driven through a fake peer connection.
import test from 'ava';
import { createCommit } from '../src/commands/commit.js';
import { encodeChange } from '../src/persistence/change-codec.js';
import { ReplicaRole, type ReplicaHost } from '../src/replication/replica-role.js';
import { snapshotFrames } from '../src/replication/snapshot.js';
import type { PeerConnector } from '../src/replication/peer.js';
import { hashObject } from '../src/git/objects.js';
import { Repository, type Change } from '../src/store/repository.js';
import type { PrimaryMessage } from '../../proto/gen/govc/v1/replication.js';
import { rawTree } from './helpers/fsck-corpus.js';

const who = { name: 'T', email: 't@example.com', timestamp: 1_700_000_000, timezone: '+0000' };
const meta = () => ({ name: 'r', description: '', defaultBranch: 'main', createdAt: '2026-01-01T00:00:00.000Z' });

/** A replica of repository "r" at epoch 1 whose primary is a function call away. */
function replica() {
  let current = new Repository(meta());
  let deliver: (m: PrimaryMessage) => void = () => {};
  const state = { closed: 0, installed: 0, warnings: [] as string[] };
  const host: ReplicaHost = {
    repo: () => current,
    installSnapshot: (change) => {
      state.installed++;
      current = new Repository(meta());
      current.applyRecorded(change);
    },
    newerEpoch: () => {},
    log: { warn: (msg, m) => state.warnings.push(`${msg} ${JSON.stringify(m)}`), info: () => {} },
  };
  const peers: PeerConnector = {
    stream: (_addr, onMessage) => {
      deliver = onMessage;
      return { send: () => {}, close: () => void state.closed++ };
    },
    checksum: async () => ({ seq: 0, checksum: '' }) as never,
  };
  const role = new ReplicaRole({ repo: 'r', role: 'replica', epoch: 1, primaryAddr: 'p', members: [], writeConcern: 'async' }, host, peers, 'me');
  role.start();
  deliver({ body: { $case: 'hello', value: { epoch: 1, seq: 0, httpAddr: '', lastEpoch: 0 } } });
  return {
    state,
    repo: () => current,
    change: (c: Change) => deliver({ body: { $case: 'change', value: { seq: c.seq, epoch: 1, data: encodeChange(c), last: true, headSeq: c.seq } } }),
    snapshot: (from: Repository) => {
      for (const f of snapshotFrames(from, 1)) deliver({ body: { $case: 'snapshot', value: f } });
    },
  };
}

/** The change a primary would stream for one clean commit. */
function cleanChange(): Change {
  const primary = new Repository(meta());
  let change: Change | undefined;
  primary.onChange((_r, c) => (change = c));
  createCommit(primary, { branch: 'main', message: 'm', author: who, committer: who, files: [{ path: 'a.txt', content: Buffer.from('a\n'), mode: '100644' }], deletes: [] });
  return change!;
}

/** A change that plants a tree with a ".git" entry (what no write path of a primary lets through). */
function hostileChange(): Change {
  const blob = Buffer.from('[core]\n\thooksPath = /tmp\n');
  const blobId = hashObject('blob', blob);
  const tree = rawTree([['40000', '.GIT', hashObject('tree', rawTree([['100644', 'config', blobId]]))]]);
  const sub = rawTree([['100644', 'config', blobId]]);
  const commit = Buffer.from(`tree ${hashObject('tree', tree)}\nauthor T <t@x> 1 +0000\ncommitter T <t@x> 1 +0000\n\nm\n`);
  const objects = [
    { id: blobId, type: 'blob' as const, data: blob },
    { id: hashObject('tree', sub), type: 'tree' as const, data: sub },
    { id: hashObject('tree', tree), type: 'tree' as const, data: tree },
    { id: hashObject('commit', commit), type: 'commit' as const, data: commit },
  ];
  return { seq: 1, epoch: 1, objects, refs: [{ name: 'refs/heads/main', old: null, new: objects[3].id }] };
}

test('a clean change from the primary applies', (t) => {
  const r = replica();
  r.change(cleanChange());
  t.is(r.repo().seq, 1);
  t.is(r.state.closed, 0);
  t.truthy(r.repo().getRef('refs/heads/main'));
});

test('an object whose id is not the hash of its data: the change is refused and the stream closes', (t) => {
  const r = replica();
  const c = cleanChange();
  const blob = c.objects.find((o) => o.type === 'blob')!;
  blob.data = Buffer.from('tampered\n');
  r.change(c);
  t.is(r.repo().seq, 0);
  t.is(r.repo().objects.size, 0);
  t.is(r.state.closed, 1);
  t.regex(r.state.warnings.join('\n'), /hashMismatch/);
});

test('an object git\'s fsck refuses: the change is refused and the stream closes', (t) => {
  const r = replica();
  r.change(hostileChange());
  t.is(r.repo().seq, 0);
  t.is(r.state.closed, 1);
  t.regex(r.state.warnings.join('\n'), /hasDotgit/);
});

test('a branch set to a blob: the change is refused', (t) => {
  const r = replica();
  const c = cleanChange();
  const blob = c.objects.find((o) => o.type === 'blob')!;
  c.refs = [{ name: 'refs/heads/main', old: null, new: blob.id }];
  r.change(c);
  t.is(r.repo().seq, 0);
  t.regex(r.state.warnings.join('\n'), /refNotCommit/);
});

test('a snapshot holding what git\'s fsck refuses is not installed', (t) => {
  const source = new Repository(meta());
  source.replay(hostileChange()); // bypasses every check, as a corrupt or hostile primary could
  const r = replica();
  r.snapshot(source);
  t.is(r.state.installed, 0);
  t.is(r.state.closed, 1);
  t.is(r.repo().seq, 0);
  t.regex(r.state.warnings.join('\n'), /hasDotgit/);

  const clean = new Repository(meta());
  clean.applyRecorded(cleanChange());
  const r2 = replica();
  r2.snapshot(clean);
  t.is(r2.state.installed, 1);
  t.is(r2.repo().seq, 1);
});
