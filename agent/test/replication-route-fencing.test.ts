// A primary that missed its own failover (killed, restarted from its disk after the others moved to a new epoch) comes
// back holding its old assignment but does not act as primary until the operator assigns it again: it applies no
// write. The first route of the newer epoch the operator publishes fences it for good, and from then on it forwards
// writes and reads to the new primary. A primary the operator still wants is simply assigned again.
import test from 'ava';
import { Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { assignAll, commit, httpAddr, startCluster, startNode, stopAll, until } from './helpers/replication-cluster.js';

test.serial('a restarted primary waits to be assigned again; a newer route fences it and it forwards to the new primary', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1, r2] = nodes;
    await assignAll(nodes, 'rf', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    await until('replicas in sync', async () => (await p.admin.state('rf')).members.every((m) => m.inSync));
    t.is((await commit(p, 'rf', 1)).status, 201);

    // p dies; the operator promotes r1 in epoch 2 without p.
    await p.proc.stop('SIGKILL');
    await assignAll([r1, r2], 'rf', r1, 2, WriteConcern.WRITE_CONCERN_QUORUM);
    await until('r2 follows r1', async () => (await r1.admin.state('rf')).members.some((m) => m.addr === r2.grpc && m.inSync));
    const acked = await commit(r1, 'rf', 2);
    t.is(acked.status, 201);

    // p restarts from its disk: it holds its epoch-1 assignment but waits to be confirmed, so it takes no write.
    const back = await startNode('p', {}, p);
    nodes[0] = back;
    const before = await back.admin.state('rf');
    t.is(before.role, Role.ROLE_PRIMARY);
    t.is(before.epoch, 1);
    t.true(before.fenced);
    const stale = await commit(back, 'rf', 3);
    t.is(stale.status, 503, 'the deposed primary takes no write');
    t.is((await back.admin.state('rf')).appliedSeq, before.appliedSeq, 'nor applies one');

    // The route of epoch 2 fences it: its state says so and requests go to r1.
    await back.admin.setRoutes([{ repo: 'rf', primaryHttpAddr: httpAddr(r1), epoch: 2 }]);
    const after = await back.admin.state('rf');
    t.true(after.fenced);
    t.is(after.epoch, 2);
    const forwarded = await commit(back, 'rf', 4);
    t.is(forwarded.status, 201, JSON.stringify(forwarded.body));
    t.is(forwarded.headers.get('x-govc-served-by'), r1.grpc);
    const read = await back.proc.client.get(`/repos/rf/commits/${acked.body.sha}`);
    t.is(read.status, 200);
    t.is(read.headers.get('x-govc-served-by'), r1.grpc);
    // It applied nothing more of its own: no local write succeeds once fenced.
    t.is((await back.admin.state('rf')).appliedSeq, after.appliedSeq);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('a restarted primary the operator still wants serves again once assigned again in its epoch', async (t) => {
  const nodes = await startCluster(2);
  try {
    const [p, r] = nodes;
    await assignAll(nodes, 'again', p, 3, WriteConcern.WRITE_CONCERN_QUORUM);
    await until('replica in sync', async () => (await p.admin.state('again')).members.every((m) => m.inSync));
    t.is((await commit(p, 'again', 1)).status, 201);
    await p.proc.stop('SIGKILL');
    const back = await startNode('p', {}, p);
    nodes[0] = back;
    t.true((await back.admin.state('again')).fenced);
    t.is((await commit(back, 'again', 2)).status, 503);
    // The replica cannot follow it meanwhile either: nothing it acknowledges can be lost.
    await assignAll([back, r], 'again', back, 3, WriteConcern.WRITE_CONCERN_QUORUM, [back]);
    t.false((await back.admin.state('again')).fenced);
    await until('replica back in sync', async () => (await back.admin.state('again')).members.every((m) => m.inSync));
    const w = await commit(back, 'again', 3);
    t.is(w.status, 201, JSON.stringify(w.body));
  } finally {
    await stopAll(nodes);
  }
});
