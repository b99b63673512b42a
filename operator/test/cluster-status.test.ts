// The GovcCluster status as a pure function of its agents and its repositories' statuses: counts, per-agent copies,
// and what is in motion (draining agents, repositories moving) so `kubectl get -o yaml` shows a scale-in's progress.
import test from 'ava';
import type { GovcClusterResource, RepositoryResource, RepositoryResourceStatus } from '../src/crd/generated-types.js';
import { findCondition } from '../src/conditions.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import { clusterStatus } from '../src/controllers/cluster-status.js';

const NOW = Date.parse('2026-11-25T12:00:00Z');

const cluster = (agents: number): GovcClusterResource => ({
  apiVersion: 'govc.io/v1alpha1',
  kind: 'GovcCluster',
  metadata: { name: 'demo', namespace: 'ns', generation: 3 },
  spec: { agents },
} as GovcClusterResource);

const agent = (i: number, extra: Partial<AgentView> = {}): AgentView => ({
  name: `demo-agent-${i}`, ip: `10.0.0.${i + 1}`, ready: true, addr: `10.0.0.${i + 1}:9090`, httpAddr: `10.0.0.${i + 1}:8080`,
  terminating: false, incarnation: `u${i}`, ...extra,
});

const repo = (name: string, status: RepositoryResourceStatus): RepositoryResource => ({
  apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: 'ns' }, spec: { clusterRef: 'demo' }, status,
} as RepositoryResource);

const ready = (primary: number, ...replicas: number[]): RepositoryResourceStatus => ({
  phase: 'Ready', primary: `demo-agent-${primary}`, replicas: replicas.map((r) => `demo-agent-${r}`),
});

test('a steady cluster is Running with nothing moving', (t) => {
  const agents = [0, 1, 2].map((i) => agent(i));
  const repos = [repo('a', ready(0, 1, 2)), repo('b', ready(1, 0, 2))];
  const s = clusterStatus(cluster(3), agents, new Map([['demo-agent-0', 1024]]), repos, NOW);
  t.is(s.phase, 'Running');
  t.is(s.movingRepositories, 0);
  t.deepEqual(s.drainingAgents, []);
  t.deepEqual(s.agentStatuses!.map((a) => [a.pod, a.repositories, a.primaries]), [['demo-agent-0', 2, 1], ['demo-agent-1', 2, 1], ['demo-agent-2', 2, 0]]);
  t.is(s.agentStatuses![0].memoryBytes, 1024);
  t.false('draining' in s.agentStatuses![0]);
  t.is(findCondition(s.conditions as never, 'Progressing')!.reason, 'Stable');
});

test('a drain shows the draining agent, the copies still on it and the repositories moving', (t) => {
  const agents = [agent(0), agent(1), agent(2), agent(3, { draining: true })];
  const repos = [
    repo('on-drained-primary', ready(3, 0, 1)),
    repo('on-drained-replica', ready(0, 1, 3)),
    repo('new-copy-catching-up', { ...ready(1, 0, 2), phase: 'Placing' }),
    repo('settled', ready(2, 0, 1)),
    repo('no-primary-yet', { phase: 'Pending' }),
  ];
  const s = clusterStatus(cluster(3), agents, new Map(), repos, NOW);
  t.deepEqual(s.drainingAgents, ['demo-agent-3']);
  t.true(s.agentStatuses!.find((a) => a.pod === 'demo-agent-3')!.draining);
  t.is(s.movingRepositories, 4);
  t.is(s.phase, 'Scaling');
  const progressing = findCondition(s.conditions as never, 'Progressing')!;
  t.is(progressing.reason, 'Draining');
  t.regex(progressing.message, /draining demo-agent-3 \(2 copies still to move off\)/);
});

test('once the drained agent holds nothing and its Pod is terminating it no longer counts as draining', (t) => {
  const agents = [agent(0), agent(1), agent(2), agent(3, { draining: true, terminating: true, ready: false })];
  const s = clusterStatus(cluster(3), agents, new Map(), [repo('a', ready(0, 1, 2))], NOW);
  t.deepEqual(s.drainingAgents, []);
  t.is(s.movingRepositories, 0);
  t.is(s.phase, 'Running');
});

test('new replica sets catching up after a scale-out read as Rebalancing', (t) => {
  const agents = [0, 1, 2, 3, 4].map((i) => agent(i));
  const repos = [repo('a', { ...ready(0, 1, 4), phase: 'Placing' }), repo('b', ready(1, 2, 3))];
  const s = clusterStatus(cluster(5), agents, new Map(), repos, NOW);
  t.is(s.phase, 'Rebalancing');
  t.is(s.movingRepositories, 1);
  t.is(findCondition(s.conditions as never, 'Progressing')!.reason, 'Rebalancing');
});

test('agents list the repositories they reported quarantined; agents with none show no list', (t) => {
  const agents = [agent(0), agent(1)];
  const s = clusterStatus(cluster(2), agents, new Map(), [repo('a', ready(0, 1))], NOW, new Map([['demo-agent-1', ['a', 'b']]]));
  t.deepEqual(s.agentStatuses?.find((a) => a.pod === 'demo-agent-1')?.damagedRepositories, ['a', 'b']);
  t.is(s.agentStatuses?.find((a) => a.pod === 'demo-agent-0')?.damagedRepositories, undefined);
});
