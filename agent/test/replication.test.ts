// Replication between real agent processes: streaming, catch-up of an empty replica, forwarding, read-your-writes.
import test from 'ava';
import { WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { assignAll, commit, converged, startCluster, startNode, stopAll, until } from './helpers/replication-cluster.js';

test.serial('writes on the primary appear on every replica with identical ids; an empty replica catches up', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1, r2] = nodes;
    await assignAll(nodes, 'demo', p, 1, WriteConcern.WRITE_CONCERN_QUORUM, [p, r1]);
    const shas: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await commit(p, 'demo', i);
      t.is(r.status, 201, JSON.stringify(r.body));
      shas.push(r.body.sha);
    }
    // r2 joins late and empty: it catches up (range from seq 0 while the window holds everything).
    await assignAll(nodes, 'demo', p, 1, WriteConcern.WRITE_CONCERN_QUORUM, [r2]);
    const state = await converged(nodes, 'demo');
    t.is(state.appliedSeq, 20);
    for (const n of nodes) {
      const head = await n.proc.client.request('GET', '/repos/demo/branches/main', undefined, { 'x-govc-seq': '20' });
      t.is(head.body.sha, shas[19], n.name);
      t.is(head.headers.get('x-govc-served-by'), n.grpc);
    }
    // A replica acknowledges a change once it is durable on its disk: the acknowledgements can trail the applied state.
    const members = await until('every replica acknowledged seq 20', async () => {
      const ps = await p.admin.state('demo');
      return ps.members.every((m) => m.inSync && m.ackedSeq === 20) && ps.members;
    });
    t.is(members.length, 2);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('a replica restarted empty catches up from a snapshot', async (t) => {
  const nodes = await startCluster(3, { GOVC_DATA_DIR: '' });
  try {
    const [p, r1] = nodes;
    await assignAll(nodes, 'snap', p, 1);
    for (let i = 0; i < 10; i++) t.is((await commit(p, 'snap', i)).status, 201);
    await converged(nodes, 'snap');
    await r1.proc.stop('SIGKILL');
    const fresh = await startNode('r1b', { GOVC_DATA_DIR: '' }, { ...r1, env: { ...r1.env } });
    nodes[1] = fresh;
    await assignAll(nodes, 'snap', p, 1, WriteConcern.WRITE_CONCERN_QUORUM, [fresh]);
    for (let i = 10; i < 15; i++) t.is((await commit(p, 'snap', i)).status, 201);
    const s = await converged(nodes, 'snap');
    t.is(s.appliedSeq, 15);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('writes through a replica are forwarded; reads with X-Govc-Seq never see older data', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1, r2] = nodes;
    await assignAll(nodes, 'fwd', p, 1, WriteConcern.WRITE_CONCERN_ASYNC);
    await until('replicas connected', async () => (await p.admin.state('fwd')).members.every((m) => m.connected));
    for (let i = 0; i < 10; i++) {
      const w = await commit(r1, 'fwd', i);
      t.is(w.status, 201, JSON.stringify(w.body));
      t.is(w.headers.get('x-govc-served-by'), p.grpc);
      const seq = w.headers.get('x-govc-seq')!;
      const read = await r2.proc.client.request('GET', '/repos/fwd/branches/main', undefined, { 'x-govc-seq': seq });
      t.is(read.status, 200);
      t.is(read.body.sha, w.body.sha, `read after write ${i} served by ${read.headers.get('x-govc-served-by')}`);
    }
    // Without a token a replica forwards the read to the primary.
    const plain = await r2.proc.client.get('/repos/fwd/branches/main');
    t.is(plain.headers.get('x-govc-served-by'), p.grpc);
    // A replicated repository is removed by the operator, not by a REST delete on one member.
    const del = await r1.proc.client.delete('/repos/fwd');
    t.is(del.status, 409);
    t.is(del.body.error.code, 'repo_assigned');
  } finally {
    await stopAll(nodes);
  }
});
