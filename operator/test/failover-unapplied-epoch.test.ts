// A primary killed right after the operator recorded a new epoch for it, before the replicas got that epoch's
// assignment (found by the failover bench: a rebalance racing a SIGKILL left the repository blocked until the old
// primary restarted). The replicas still hold older epochs, so the recorded one acknowledged nothing and failover
// decides on the epoch before it; when a replica did take the new epoch, writes may have been acknowledged with it
// and only it can be promoted. Real agent processes on loopback, the operator's own report and decision code.
import test from 'ava';
import { AgentAdmin, Role, WriteConcern } from '../src/agents/agent-admin.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import { ensureAssignments, replicaReports } from '../src/controllers/repository-agents.js';
import { chooseNewPrimary, statusView } from '../src/failover.js';
import { OperatorMetrics } from '../src/runtime/metrics.js';
import { TOKEN, commit, startCluster, stopAll, type Node } from '../../agent/test/helpers/replication-cluster.js';

const QUORUM = WriteConcern.WRITE_CONCERN_QUORUM;

function assign(primary: Node, replicas: Node[], epoch: number, only: Node[] = [primary, ...replicas]): Promise<unknown> {
  const members = [primary, ...replicas].map((n) => n.grpc);
  return Promise.all(only.map((n) => n.admin.assign({
    repo: 'r', epoch, role: n === primary ? Role.ROLE_PRIMARY : Role.ROLE_REPLICA, primaryAddr: primary.grpc, members, writeConcern: QUORUM,
  })));
}

/** Quorum writes until `count` are acknowledged (a replica may still be attaching); their seqs. */
async function acked(a: Node, count: number, from: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = from; seqs.length < count; i++) {
    if (i > from + 50) throw new Error('writes are not being acknowledged');
    const res = await commit(a, 'r', i);
    if (res.status === 201) seqs.push((res.body as { seq: number }).seq);
  }
  return seqs;
}

const view = (n: Node): AgentView => ({
  name: n.name, ip: '127.0.0.1', ready: true, addr: n.grpc, httpAddr: `127.0.0.1:${n.httpPort}`, terminating: false, incarnation: n.name,
});

/** Epoch 1 {a; b, x}, epoch 2 {a; b, c} (x dropped, its copy left), epoch 3 {a; b, x} recorded: the status of epoch 3. */
async function history(nodes: Node[]): Promise<{ status: Parameters<typeof statusView>[0]; ackedSeq: number }> {
  const [a, b, c, x] = nodes;
  await assign(a, [b, x], 1);
  let seqs = await acked(a, 2, 0);
  await assign(a, [b, c], 2, [a, b, c]);
  seqs = [...seqs, ...await acked(a, 3, 10)];
  return {
    status: { primary: 'n0', replicas: ['n1', 'n3'], epoch: 3, previousEpoch: { epoch: 2, primary: 'n0', replicas: ['n1', 'n2'], writeConcern: 'quorum' } },
    ackedSeq: Math.max(...seqs),
  };
}

test('killed before any replica took the recorded epoch: promoted from the epoch before, no acknowledged write lost', async (t) => {
  const nodes = await startCluster(4);
  const [a, b, c, x] = nodes;
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    const { status, ackedSeq } = await history(nodes);
    // Epoch 3 reaches the primary only: its writes find no replica of epoch 3 and are not acknowledged.
    await assign(a, [b, x], 3, [a]);
    t.is((await commit(a, 'r', 99)).status, 503);
    await a.proc.stop('SIGKILL');

    const agents = [b, c, x].map(view);
    const decide = (fenceEpoch?: number) => replicaReports(admin, TOKEN, agents, 'r', ['n1', 'n3', 'n2'], fenceEpoch)
      .then((reports) => chooseNewPrimary({ repo: 'r', status: statusView(status, 'quorum'), reports }));
    const first = await decide();
    if (first.decision !== 'promote') return t.fail(`first look: ${first.reason}: ${first.message}`);
    const d = await decide(first.newEpoch);
    if (d.decision !== 'promote') return t.fail(`fenced look: ${d.reason}: ${d.message}`);
    t.is(d.newEpoch, 4);
    t.is(d.decidedIn, 2);
    t.true(['n1', 'n2'].includes(d.newPrimary));
    t.true(d.appliedSeq >= ackedSeq, `the new primary holds seq ${d.appliedSeq}, ${ackedSeq} was acknowledged`);

    // Epoch 4 on the survivors: the new primary acknowledges writes with a replica of epoch 4.
    const primary = nodes.find((n) => n.name === d.newPrimary)!;
    const members = [primary, ...[b, c, x].filter((n) => n !== primary)].map((n, i) => ({ agent: n.name, address: n.grpc, role: i === 0 ? 'primary' as const : 'replica' as const }));
    await ensureAssignments(admin, TOKEN, agents, { repo: 'r', epoch: 4, members, writeConcern: 'quorum', defaultBranch: 'main' }, true);
    const after = await acked(primary, 1, 200);
    t.true(after[0] > ackedSeq);
  } finally {
    admin.close();
    await stopAll(nodes);
  }
});

test('a replica that took the recorded epoch may hold its acknowledged writes: blocked while it is silent (hung), then promoted', async (t) => {
  const nodes = await startCluster(4);
  const [a, b, c, x] = nodes;
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    const { status } = await history(nodes);
    // Epoch 3 reaches the primary and x: a quorum write of epoch 3 is acknowledged by a and x alone.
    await assign(a, [b, x], 3, [a, x]);
    const [seq3] = await acked(a, 1, 100);
    await a.proc.stop('SIGKILL');
    // x hangs (a restart would do as well, but a restarted replica no longer knows it caught up in epoch 3).
    x.proc.child.kill('SIGSTOP');

    const decide = (agents: AgentView[], fenceEpoch?: number) => replicaReports(admin, TOKEN, agents, 'r', ['n1', 'n3', 'n2'], fenceEpoch)
      .then((reports) => chooseNewPrimary({ repo: 'r', status: statusView(status, 'quorum'), reports }));
    // x silent: b and c (epoch 2) lack the write acknowledged in epoch 3; promoting either would lose it.
    const silent = await decide([b, c].map(view));
    t.is(silent.decision, 'degraded');

    x.proc.child.kill('SIGCONT');
    const agents = [b, c, x].map(view);
    const first = await decide(agents);
    if (first.decision !== 'promote') return t.fail(`first look: ${first.reason}: ${first.message}`);
    const d = await decide(agents, first.newEpoch);
    if (d.decision !== 'promote') return t.fail(`fenced look: ${d.reason}: ${d.message}`);
    t.is(d.newPrimary, 'n3');
    t.is(d.decidedIn, 3);
    t.true(d.appliedSeq >= seq3);
  } finally {
    admin.close();
    await stopAll(nodes);
  }
});
