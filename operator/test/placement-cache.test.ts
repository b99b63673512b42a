import test from 'ava';
import { PlacementCache } from '../src/controllers/placement-cache.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import type { GovcClusterResource, RepositoryResource } from '../src/crd/generated-types.js';

const cluster: GovcClusterResource = {
  apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: 'demo', namespace: 'ns', generation: 1 },
  spec: { agents: 3, defaults: { replicationFactor: 3, writeConcern: 'quorum' }, zoneSpreading: true },
};
const agent = (i: number, ready = true): AgentView => ({
  name: `demo-agent-${i}`, ip: `127.0.0.${i + 1}`, zone: `zone-${'abc'[i]}`, ready,
  addr: `127.0.0.${i + 1}:9090`, httpAddr: `127.0.0.${i + 1}:8080`, terminating: false, incarnation: `u${i}`,
});
const repo = (name: string, status?: RepositoryResource['status']): RepositoryResource => ({
  apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: 'ns' }, spec: { clusterRef: 'demo', replicationFactor: 2 },
  ...(status ? { status } : {}),
});

test('one place() serves many reconciles; a new repository or changed agents bring another', async (t) => {
  const repos = Array.from({ length: 200 }, (_, i) => repo(`r${i}`));
  const cache = new PlacementCache(() => repos, 5);
  const three = [agent(0), agent(1), agent(2)];
  const decisions = await Promise.all(repos.map((r) => cache.decide(r, cluster, three)));
  t.is(cache.computations, 1);
  t.true(decisions.every((d) => d.primary !== null && d.replicas.length === 1 && d.primaryAction === 'new'));
  for (const r of repos.slice(0, 50)) await cache.decide(r, cluster, three);
  t.is(cache.computations, 1);
  repos.push(repo('late'));
  await cache.decide(repos[200], cluster, three);
  t.is(cache.computations, 2);
  await cache.decide(repos[0], cluster, [agent(0), agent(1), agent(2, false)]);
  t.is(cache.computations, 3);
});

test('a recorded failover is handed out until the next place(), which keeps it', async (t) => {
  const r = repo('x', { primary: 'demo-agent-0', replicas: ['demo-agent-1'], epoch: 1 });
  const cache = new PlacementCache(() => [r], 1);
  const down = [agent(0, false), agent(1), agent(2)];
  const first = await cache.decide(r, cluster, down);
  t.is(first.primary, null);
  t.is(first.primaryAction, 'failover');
  cache.recorded('ns', 'demo', 'x', { primary: 'demo-agent-1', replicas: first.replicas.filter((a) => a !== 'demo-agent-1') });
  const after = repo('x', { primary: 'demo-agent-1', replicas: first.replicas.filter((a) => a !== 'demo-agent-1'), epoch: 2 });
  const next = await cache.decide(after, cluster, down);
  t.is(next.primary, 'demo-agent-1');
  t.is(cache.computations, 1);
});

test('place() calls are spaced by twice the time the last one took', async (t) => {
  const repos = [repo('a')];
  const cache = new PlacementCache(() => {
    // A slow listing stands in for a slow place(): both count as the computation's time.
    const until = Date.now() + 40;
    while (Date.now() < until) {
      // busy
    }
    return repos;
  }, 1);
  const three = [agent(0), agent(1), agent(2)];
  await cache.decide(repos[0], cluster, three);
  const firstDone = Date.now();
  repos.push(repo('b'));
  await cache.decide(repos[1], cluster, three);
  t.is(cache.computations, 2);
  t.true(Date.now() - firstDone >= 2 * 40 + 40 - 5, 'waited twice the 40 ms the first took, then took 40 ms itself');
});
