// Admin.Fence: the epoch a copy knows rises without an assignment; the copy stops replicating from (or acting as
// primary of) the older epoch at once, its answered position is final, lower epochs are refused, and a restart
// remembers it. Real agent processes on loopback.
import test from 'ava';
import { status } from '@grpc/grpc-js';
import { RepoState, Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { assignAll, commit, converged, grpcCode, startCluster, startNode, stopAll, until, type Node } from './helpers/replication-cluster.js';

const fence = (n: Node, repo: string, epoch: number) => n.admin.call<{ repo: string; epoch: number }, RepoState>('fence', { repo, epoch });

test.serial('fenced replicas stop acknowledging the old primary: no quorum write is acknowledged after their positions were read', async (t) => {
  const nodes = await startCluster(3);
  const [a, b, c] = nodes;
  try {
    await assignAll(nodes, 'f', a, 1);
    for (let i = 0; i < 5; i++) t.is((await commit(a, 'f', i)).status, 201);
    const before = await converged(nodes, 'f');
    const [fb, fc] = await Promise.all([fence(b, 'f', 2), fence(c, 'f', 2)]);
    for (const s of [fb, fc]) {
      t.is(s.epoch, 2, 'the epoch it knows now');
      t.is(s.assignmentEpoch, 1, 'the assignment it held');
      t.true(s.inSync, 'caught up in epoch 1 stays true once fenced');
      t.is(s.appliedSeq, before.appliedSeq);
    }
    // The old primary (e.g. woken from a pause) cannot get a quorum write acknowledged any more.
    const late = await commit(a, 'f', 99);
    t.not(late.status, 201, `a write after the fence was answered ${late.status}`);
    t.is((await b.admin.state('f')).appliedSeq, before.appliedSeq, 'nothing more applied on a fenced replica');
    t.is((await c.admin.state('f')).appliedSeq, before.appliedSeq);
    // Told of epoch 2 as the replica streams closed, it stops acting as primary too.
    await until('the old primary fenced', async () => (await a.admin.state('f')).fenced);

    // Idempotent at the same epoch; a lower one is refused, as is an Assign below it; malformed or unknown: refused.
    t.is((await fence(b, 'f', 2)).appliedSeq, before.appliedSeq);
    t.is(await grpcCode(fence(b, 'f', 1)), status.FAILED_PRECONDITION);
    t.is(await grpcCode(b.admin.assign({ repo: 'f', epoch: 1, role: Role.ROLE_REPLICA, primaryAddr: a.grpc, members: nodes.map((n) => n.grpc) })), status.FAILED_PRECONDITION);
    t.is(await grpcCode(fence(b, 'f', 0)), status.INVALID_ARGUMENT);
    t.is(await grpcCode(fence(b, '../x', 3)), status.INVALID_ARGUMENT);
    t.is(await grpcCode(fence(b, 'nope', 3)), status.NOT_FOUND);

    // The promotion the fence prepared: b primary in epoch 2 with every write acknowledged before.
    await assignAll([b, c], 'f', b, 2, WriteConcern.WRITE_CONCERN_QUORUM);
    t.is((await commit(b, 'f', 100)).status, 201);
    t.is((await b.admin.state('f')).appliedSeq, before.appliedSeq + 1);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('a fence survives a restart; fencing a primary stops its writes at once', async (t) => {
  const n = await startNode('fence-restart');
  try {
    await n.admin.assign({ repo: 'p', epoch: 3, role: Role.ROLE_PRIMARY, primaryAddr: n.grpc, members: [n.grpc], writeConcern: WriteConcern.WRITE_CONCERN_ASYNC });
    t.is((await commit(n, 'p', 1)).status, 201);
    const s = await fence(n, 'p', 5);
    t.true(s.fenced);
    t.is(s.epoch, 5);
    t.is(s.assignmentEpoch, 3);
    t.is(s.appliedSeq, 1);
    t.is((await commit(n, 'p', 2)).status, 503, 'a fenced primary accepts no write');
    await n.proc.stop('SIGKILL');
    const again = await startNode('fence-restart', {}, n);
    try {
      t.is(await grpcCode(fence(again, 'p', 4)), status.FAILED_PRECONDITION, 'the fence at 5 was durable');
      t.is((await again.admin.state('p')).epoch, 5);
      t.is((await commit(again, 'p', 3)).status, 503);
      const promoted = await again.admin.assign({ repo: 'p', epoch: 5, role: Role.ROLE_PRIMARY, primaryAddr: again.grpc, members: [again.grpc] });
      t.false(promoted.fenced);
      t.is((await commit(again, 'p', 4)).status, 201);
    } finally {
      await stopAll([again]);
    }
  } finally {
    await n.proc.stop('SIGKILL');
  }
});
