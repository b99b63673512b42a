import test from 'ava';
import { PlacementCache } from '../src/controllers/placement-cache.js';
import { placementAgents } from '../src/controllers/agent-view.js';
import { place } from '../src/placement.js';
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

test('one place() serves many reconciles; a new repository is placed next to it, changed agents bring another', async (t) => {
  const repos = Array.from({ length: 200 }, (_, i) => repo(`r${i}`));
  const cache = new PlacementCache(() => repos, 5);
  const three = [agent(0), agent(1), agent(2)];
  const decisions = await Promise.all(repos.map((r) => cache.decide(r, cluster, three)));
  t.is(cache.computations, 1);
  t.true(decisions.every((d) => d.primary !== null && d.replicas.length === 1 && d.primaryAction === 'new'));
  for (const r of repos.slice(0, 50)) await cache.decide(r, cluster, three);
  t.is(cache.computations, 1);
  repos.push(repo('late'));
  const late = await cache.decide(repos[200], cluster, three);
  t.is(cache.computations, 1);
  t.is(cache.incremental, 1);
  t.true(late.primary !== null && late.replicas.length === 1 && late.primaryAction === 'new');
  await cache.decide(repos[0], cluster, [agent(0), agent(1), agent(2, false)]);
  t.is(cache.computations, 2);
});

test('arrivals are placed incrementally: copies on distinct agents and zones, loads within bounds, a full place() keeps them', async (t) => {
  const six = Array.from({ length: 6 }, (_, i) => ({ ...agent(i), zone: `zone-${'abcabc'[i]}` }));
  const repos = Array.from({ length: 300 }, (_, i) => repo(`r${i}`));
  const cache = new PlacementCache(() => repos, 5);
  await Promise.all(repos.map((r) => cache.decide(r, cluster, six)));
  for (let i = 300; i < 3000; i++) repos.push(repo(`r${i}`));
  const decisions = await Promise.all(repos.map((r) => cache.decide(r, cluster, six)));
  t.is(cache.computations, 1, 'no full place() for the arrivals');
  t.true(cache.incremental >= 1 && cache.incremental <= 3, `${cache.incremental} incremental placements (one per event-loop turn)`);
  const zone = new Map(six.map((a) => [a.name, a.zone]));
  const load = new Map<string, number>();
  const primaries = new Map<string, number>();
  for (const d of decisions) {
    const copies = [d.primary!, ...d.replicas];
    t.is(new Set(copies).size, 2);
    t.is(new Set(copies.map((c) => zone.get(c))).size, 2, `${d.repo}: copies in distinct zones`);
    for (const c of copies) load.set(c, (load.get(c) ?? 0) + 1);
    primaries.set(d.primary!, (primaries.get(d.primary!) ?? 0) + 1);
  }
  const bound = Math.ceil(1.25 * (2 * 3000) / 6);
  t.true([...load.values()].every((l) => l <= bound), `loads ${[...load.values()]} within ${bound}`);
  t.true(Math.max(...primaries.values()) - Math.min(...primaries.values()) <= 0.1 * 3000 / 6, `primaries ${[...primaries.values()]}`);
  const current = Object.fromEntries(decisions.map((d) => [d.repo, { primary: d.primary, replicas: d.replicas }]));
  const full = place({ repositories: repos.map((r) => ({ name: r.metadata.name!, replicationFactor: 2 })), agents: placementAgents(six, true), current });
  t.is(full.moves.length, 0, 'the next full place() moves nothing');
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

test('a failover recorded with fewer copies than decided (decided on an older view of the agents) brings a new place()', async (t) => {
  const r = repo('y', { primary: 'demo-agent-0', replicas: ['demo-agent-1'], epoch: 1 });
  let current = r;
  const cache = new PlacementCache(() => [current], 1);
  const three = [agent(0), agent(1), agent(2)];
  const first = await cache.decide(r, cluster, three);
  t.is(first.replicas.length + 1, 2);
  // A failover that started while demo-agent-0 looked failed lands now, keeping only demo-agent-1.
  cache.recorded('ns', 'demo', 'y', { primary: 'demo-agent-1', replicas: [] });
  current = repo('y', { primary: 'demo-agent-1', replicas: [], epoch: 2 });
  const next = await cache.decide(current, cluster, three);
  t.is(cache.computations, 2);
  t.is(next.primary, 'demo-agent-1', 'the failover\'s primary is kept');
  t.is(next.replicas.length, 1, 'the missing copy is placed again');
  t.is((await cache.decide(current, cluster, three)).replicas.length, 1);
  t.is(cache.computations, 2, 'and then the decision holds again');
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
  // Already placed (e.g. by an earlier operator) but unknown to the last place(): only a full place() decides it.
  repos.push(repo('b', { primary: 'demo-agent-0', replicas: ['demo-agent-1'], epoch: 1 }));
  await cache.decide(repos[1], cluster, three);
  t.is(cache.computations, 2);
  t.true(Date.now() - firstDone >= 2 * 40 + 40 - 5, 'waited twice the 40 ms the first took, then took 40 ms itself');
});
