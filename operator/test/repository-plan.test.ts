import test from 'ava';
import type { AgentView } from '../src/controllers/agent-view.js';
import { decidePlacement, effectiveSettings, membersOf, nextEpoch, sameMembers } from '../src/controllers/repository-plan.js';
import { observedStatus } from '../src/controllers/repository-status.js';
import type { GovcClusterResource, RepositoryResource } from '../src/crd/generated-types.js';

const cluster: GovcClusterResource = {
  apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster',
  metadata: { name: 'demo', namespace: 'ns', uid: 'u1' },
  spec: { agents: 3, defaults: { replicationFactor: 3, writeConcern: 'quorum' }, zoneSpreading: true },
};
const repo = (name: string, extra: Partial<RepositoryResource> = {}): RepositoryResource => ({
  apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: 'ns' }, spec: { clusterRef: 'demo' }, ...extra,
});
const agent = (i: number, ready = true): AgentView => ({
  name: `demo-agent-${i}`, ip: `127.0.0.${i + 1}`, zone: `zone-${'abc'[i]}`, ready,
  addr: `127.0.0.${i + 1}:9090`, httpAddr: `127.0.0.${i + 1}:8080`, terminating: false, incarnation: `u${i}`,
});
const three = [agent(0), agent(1), agent(2)];

test('settings come from the spec, else the cluster defaults', (t) => {
  t.deepEqual(effectiveSettings(repo('a'), cluster), { replicationFactor: 3, writeConcern: 'quorum', defaultBranch: 'main' });
  t.deepEqual(
    effectiveSettings(repo('a', { spec: { clusterRef: 'demo', replicationFactor: 2, writeConcern: 'all', defaultBranch: 'trunk' } }), cluster),
    { replicationFactor: 2, writeConcern: 'all', defaultBranch: 'trunk' },
  );
});

test('a new repository gets a primary and two replicas in three zones', (t) => {
  const { decision } = decidePlacement(repo('a'), cluster, [], three);
  t.truthy(decision.primary);
  t.is(decision.replicas.length, 2);
  t.is(new Set([decision.primary, ...decision.replicas]).size, 3);
});

test('a recorded placement is kept; a failed primary asks for a failover among the old replicas', (t) => {
  const placed = repo('a', { status: { primary: 'demo-agent-1', replicas: ['demo-agent-0', 'demo-agent-2'], epoch: 2 } });
  t.is(decidePlacement(placed, cluster, [placed], three).decision.primaryAction, 'keep');
  const failed = decidePlacement(placed, cluster, [placed], [agent(0), agent(1, false), agent(2)]).decision;
  t.is(failed.primaryAction, 'failover');
  t.is(failed.primary, null);
  t.deepEqual(failed.failoverCandidates, ['demo-agent-0', 'demo-agent-2']);
});

test('the epoch grows only when the replica set (agents, addresses, roles) changes', (t) => {
  const members = membersOf('demo-agent-1', ['demo-agent-2', 'demo-agent-0'], three);
  t.deepEqual(members.map((m) => m.role), ['primary', 'replica', 'replica']);
  t.is(nextEpoch(undefined, members), 1);
  t.is(nextEpoch({ epoch: 4, members }, members), 4);
  t.is(nextEpoch({ epoch: 4, members }, membersOf('demo-agent-0', ['demo-agent-1', 'demo-agent-2'], three)), 5);
  const moved = membersOf('demo-agent-1', ['demo-agent-0', 'demo-agent-2'], [agent(0), { ...agent(1), addr: '127.0.0.9:9090' }, agent(2)]);
  t.false(sameMembers(members, moved));
});

test('observed status: Ready and Replicated once the primary serves and reports both replicas in sync', (t) => {
  const members = membersOf('demo-agent-0', ['demo-agent-1', 'demo-agent-2'], three);
  const base = { generation: 1, previous: undefined, members, epoch: 1, replicationFactor: 3, defaultBranch: 'main', now: 0 };
  const primary = {
    epoch: 1, isPrimary: true, fenced: false, appliedSeq: 7,
    refs: [{ name: 'refs/heads/main', id: 'a'.repeat(40) }],
    members: [{ addr: '127.0.0.2:9090', inSync: true }, { addr: '127.0.0.3:9090', inSync: false }],
  };
  const catching = observedStatus({ ...base, primary });
  t.is(catching.phase, 'Placing');
  t.deepEqual(catching.inSyncReplicas, ['demo-agent-1']);
  t.is(catching.head, 'a'.repeat(40));
  const ready = observedStatus({ ...base, primary: { ...primary, members: primary.members.map((m) => ({ ...m, inSync: true })) } });
  t.is(ready.phase, 'Ready');
  t.deepEqual(ready.conditions?.map((c) => `${c.type}=${c.status}`), ['Scheduled=True', 'Ready=True', 'Replicated=True']);
  const fenced = observedStatus({ ...base, primary: { ...primary, fenced: true } });
  t.is(fenced.conditions?.find((c) => c.type === 'Ready')?.reason, 'PrimaryUnavailable');
  t.is(observedStatus({ ...base, primary: null }).phase, 'Placing');
});
