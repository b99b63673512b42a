// Durability in the write concern, without processes: a replica acknowledges a seq only once it is on its own disk,
// and the primary counts itself toward quorum/all only for seqs on its own disk. Repositories here track durability
// as persistence does with GOVC_FSYNC=batch (trackDurability/markDurable), driven by hand.
import test from 'ava';
import { GovcError } from '../src/errors.js';
import { encodeChange } from '../src/persistence/change-codec.js';
import { ChangeWindow } from '../src/replication/change-window.js';
import { PeerConnector, PrimaryLink, ReplicaSink } from '../src/replication/peer.js';
import { PrimaryRole } from '../src/replication/primary-role.js';
import { ReplicaRole } from '../src/replication/replica-role.js';
import { Assignment } from '../src/replication/types.js';
import { Repository } from '../src/store/repository.js';
import { PrimaryMessage, ReplicaMessage } from '../../proto/gen/govc/v1/replication.js';

const P = 'p:1';
const R1 = 'r1:1';
const R2 = 'r2:1';

function tracked(): Repository {
  const repo = new Repository({ name: 'd', description: '', defaultBranch: 'main', createdAt: '' });
  repo.trackDurability(0);
  return repo;
}

const settled = async <T>(p: Promise<T>) => {
  let state = 'pending';
  p.then(() => (state = 'resolved'), () => (state = 'rejected'));
  await new Promise((r) => setImmediate(r));
  return state;
};

const sink = (): ReplicaSink => ({ send: () => true, onDrain: () => {}, buffered: () => 0, close: () => {} });

function primary(repo: Repository, writeConcern: Assignment['writeConcern']): PrimaryRole {
  const assignment: Assignment = { repo: 'd', role: 'primary', epoch: 1, primaryAddr: P, members: [P, R1, R2], writeConcern };
  return new PrimaryRole(repo, assignment, new ChangeWindow(), { self: P, httpAddr: 'p:80', concernTimeoutMs: 5000 });
}

/** An (empty) change applied in memory: visible at once, durable only once marked so. */
const commitTo = (repo: Repository): number => repo.apply([], []).seq;

test('quorum: one replica ack does not meet it while the primary\'s own copy is not durable', async (t) => {
  const repo = tracked();
  const role = primary(repo, 'quorum');
  for (const m of [R1, R2]) role.attach({ repo: 'd', epoch: 1, appliedSeq: 0, lastEpoch: 0, checksum: '', member: m, forceSnapshot: false, snapshotRecords: true }, sink());
  const seq = commitTo(repo);
  const waiting = role.waitFor(seq)!;
  t.truthy(waiting);
  role.ack(R1, seq);
  t.is(await settled(waiting), 'pending', '1 replica + a primary that has not synced = 1 of 2');
  repo.markDurable(seq);
  t.is(await settled(waiting), 'resolved');
  role.stop(new GovcError('unavailable', 'x', 'x'));
});

test('quorum: the primary\'s durable copy plus one replica ack meet it, whichever comes first', async (t) => {
  const repo = tracked();
  const role = primary(repo, 'quorum');
  const seq = commitTo(repo);
  const waiting = role.waitFor(seq)!;
  repo.markDurable(seq);
  t.is(await settled(waiting), 'pending', 'the primary alone is 1 of 2');
  role.ack(R2, seq);
  t.is(await settled(waiting), 'resolved');
  role.stop(new GovcError('unavailable', 'x', 'x'));
});

test('all: both replicas and the primary\'s own disk', async (t) => {
  const repo = tracked();
  const role = primary(repo, 'all');
  const seq = commitTo(repo);
  const waiting = role.waitFor(seq)!;
  role.ack(R1, seq);
  role.ack(R2, seq);
  t.is(await settled(waiting), 'pending');
  repo.markDurable(seq);
  t.is(await settled(waiting), 'resolved');
  role.stop(new GovcError('unavailable', 'x', 'x'));
});

test('untracked durability (memory only, GOVC_FSYNC=off): the applied seq counts, as before', (t) => {
  const repo = new Repository({ name: 'd', description: '', defaultBranch: 'main', createdAt: '' });
  const role = primary(repo, 'quorum');
  const seq = commitTo(repo);
  role.ack(R1, seq);
  t.is(role.waitFor(seq), undefined);
  role.stop(new GovcError('unavailable', 'x', 'x'));
});

test('a replica acknowledges a change only once it is durable on its own disk', async (t) => {
  const sent: ReplicaMessage[] = [];
  let deliver: (m: PrimaryMessage) => void = () => {};
  const peers: PeerConnector = {
    stream(_addr, onMessage): PrimaryLink {
      deliver = onMessage;
      return { send: (m) => sent.push(m), close: () => {} };
    },
    checksum: () => Promise.reject(new Error('unused')),
  };
  const repo = tracked();
  const assignment: Assignment = { repo: 'd', role: 'replica', epoch: 1, primaryAddr: P, members: [P, R1], writeConcern: 'quorum' };
  const role = new ReplicaRole(assignment, {
    repo: () => repo, installSnapshot: () => {}, newerEpoch: () => {}, log: { warn: () => {}, info: () => {} },
  }, peers, R1);
  role.start();
  deliver({ body: { $case: 'hello', value: { epoch: 1, seq: 0, httpAddr: 'p:80', lastEpoch: 0 } } });
  const acks = () => sent.filter((m) => m.body?.$case === 'ack').map((m) => (m.body as { value: { appliedSeq: number } }).value.appliedSeq);
  for (const seq of [1, 2]) {
    const data = encodeChange({ seq, epoch: 1, objects: [], refs: [] });
    deliver({ body: { $case: 'change', value: { seq, epoch: 1, data, last: true, headSeq: 2 } } });
  }
  t.is(repo.seq, 2, 'applied at once');
  await new Promise((r) => setImmediate(r));
  t.deepEqual(acks(), [], 'nothing acknowledged before it is durable');
  repo.markDurable(2);
  await new Promise((r) => setImmediate(r));
  t.deepEqual(acks(), [1, 2]);
  role.stop();
});
