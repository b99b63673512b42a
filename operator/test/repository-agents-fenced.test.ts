// A copy can know the recorded epoch before it holds an assignment of it: a route of the new epoch (Admin.SetRoutes)
// or a failover's Admin.Fence raises the epoch it knows, nothing more. The reconcile must still assign it, or the new
// primary never gets its replicas back (found by the failover bench: a repository stuck at "1 of 3 copies in sync").
// Real agent processes on loopback.
import test from 'ava';
import { AgentAdmin, Role, WriteConcern } from '../src/agents/agent-admin.js';
import { ensureAssignments, heldEpoch } from '../src/controllers/repository-agents.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import { OperatorMetrics } from '../src/runtime/metrics.js';
import { TOKEN, assignAll, commit, startCluster, stopAll, until } from '../../agent/test/helpers/replication-cluster.js';

test('copies fenced at the recorded epoch without its assignment are assigned again; the primary gets its quorum back', async (t) => {
  const nodes = await startCluster(3);
  const [a, b, c] = nodes;
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    await assignAll(nodes, 'r', a, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    t.is((await commit(a, 'r', 1)).status, 201);
    // Epoch 2 is recorded (same primary, e.g. a replica set change); its routes reach the replicas before their Assign.
    for (const n of [b, c]) await n.admin.setRoutes([{ repo: 'r', primaryHttpAddr: `127.0.0.1:${a.httpPort}`, epoch: 2 }]);
    const fenced = await b.admin.state('r');
    t.is(fenced.epoch, 2, 'the route raised the epoch it knows');
    t.is(heldEpoch(fenced), 1, 'but it holds the assignment of epoch 1');

    const agents: AgentView[] = nodes.map((n) => ({
      name: n.name, ip: '127.0.0.1', ready: true, addr: n.grpc, httpAddr: `127.0.0.1:${n.httpPort}`, terminating: false, incarnation: n.name,
    }));
    const members = nodes.map((n) => ({ agent: n.name, address: n.grpc, role: n === a ? 'primary' as const : 'replica' as const }));
    const out = await ensureAssignments(admin, TOKEN, agents, { repo: 'r', epoch: 2, members, writeConcern: 'quorum', defaultBranch: 'main' });
    t.deepEqual([...out.assigned].sort(), ['n0', 'n1', 'n2'], 'every member assigned at epoch 2');
    for (const n of [b, c]) {
      const s = await n.admin.state('r');
      t.is(heldEpoch(s), 2);
      t.is(s.role, Role.ROLE_REPLICA);
    }
    // The primary of epoch 2 has its replicas again: a quorum write is acknowledged and they catch up.
    t.is((await commit(a, 'r', 2)).status, 201);
    await until('replicas in sync in epoch 2', async () => (await a.admin.state('r')).members.every((m) => m.connected && m.inSync));
    // Nothing left to do: a second pass assigns nobody.
    const again = await ensureAssignments(admin, TOKEN, agents, { repo: 'r', epoch: 2, members, writeConcern: 'quorum', defaultBranch: 'main' });
    t.deepEqual(again.assigned, []);
  } finally {
    admin.close();
    await stopAll(nodes);
  }
});
