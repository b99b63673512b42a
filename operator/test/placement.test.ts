// Placement: balance under the load bound, distinct agents and zones, stability, primaries, draining, failed agents.
import test from 'ava';
import { place } from '../src/placement.js';
import { AgentInfo, PlacementResult, RepoPlacement } from '../src/types.js';
import { agents, copiesByAgent, repos, rng, shuffle } from './helpers/clusters.js';

function copiesOf(r: { primary: string | null; replicas: string[] }): string[] {
  return [...(r.primary ? [r.primary] : []), ...r.replicas];
}

function assertDistinctAgents(t: { true(v: boolean, m?: string): void }, result: PlacementResult): void {
  for (const r of result.repositories) {
    const copies = copiesOf(r);
    t.true(new Set(copies).size === copies.length, `${r.repo} has two copies on one agent: ${copies}`);
  }
}

test('balanced: no agent above 1.25 × the mean + 1, every repository on distinct agents', (t) => {
  for (const [n, count] of [
    [3, 1000],
    [7, 3000],
    [20, 10000],
  ]) {
    for (const rf of [1, 2, 3]) {
      const result = place({ repositories: repos(count, rf), agents: agents(n), current: {} });
      const mean = (count * rf) / n;
      const loads = [...copiesByAgent(result).values()];
      t.is(result.totalCopies, count * rf);
      t.is(loads.reduce((s, l) => s + l, 0), count * rf);
      t.true(Math.max(...loads) <= 1.25 * mean + 1, `n=${n} rf=${rf} max ${Math.max(...loads)} mean ${mean}`);
      t.true(Math.min(...loads) >= 0.75 * mean, `n=${n} rf=${rf} min ${Math.min(...loads)} mean ${mean}`);
      t.deepEqual(result.underReplicated, []);
      assertDistinctAgents(t, result);
      for (const r of result.repositories) t.is(copiesOf(r).length, rf);
      t.log(`n=${n} rf=${rf} repos=${count}: loads ${Math.min(...loads)}..${Math.max(...loads)}, mean ${mean.toFixed(1)}`);
    }
  }
});

test('primaries of new repositories are spread evenly too', (t) => {
  const result = place({ repositories: repos(6000, 3), agents: agents(12, 3), current: {} });
  const primaries = result.loads.map((l) => l.primaries);
  t.true(Math.max(...primaries) <= 1.1 * (6000 / 12), `primaries per agent ${primaries}`);
});

test('zones: with at least as many zones as copies, every copy is in a different zone', (t) => {
  const list = agents(9, 3);
  const zoneOf = new Map(list.map((a) => [a.name, a.zone]));
  const result = place({ repositories: repos(3000, 3), agents: list, current: {} });
  for (const r of result.repositories) {
    t.is(new Set(copiesOf(r).map((a) => zoneOf.get(a))).size, 3, r.repo);
    t.is(r.zoneSpread, 'full');
  }
  t.deepEqual(result.zoneSpreadRelaxed, []);
  t.deepEqual(result.warnings, []);
});

test('zones: fewer zones than copies uses every zone and reports the relaxation', (t) => {
  const list = agents(6, 2);
  const zoneOf = new Map(list.map((a) => [a.name, a.zone]));
  const result = place({ repositories: repos(1000, 3), agents: list, current: {} });
  for (const r of result.repositories) {
    t.is(new Set(copiesOf(r).map((a) => zoneOf.get(a))).size, 2, r.repo);
    t.is(r.zoneSpread, 'fewer-zones-than-copies');
  }
  t.is(result.zoneSpreadRelaxed.length, 1000);
  t.true(result.warnings.some((w) => w.includes('share zones')), result.warnings.join('; '));
});

test('zones: a one-agent zone cannot take a copy of everything; the load bound wins and it is reported', (t) => {
  const list: AgentInfo[] = [
    { name: 'a-0', zone: 'a', ready: true },
    ...agents(4, 0, 'b').map((a) => ({ ...a, zone: 'b' })),
  ];
  const result = place({ repositories: repos(1000, 2), agents: list, current: {} });
  const aLoad = result.loads.find((l) => l.agent === 'a-0')!;
  t.true(aLoad.copies <= aLoad.bound, `a-0 holds ${aLoad.copies}, bound ${aLoad.bound}`);
  const spanning = result.repositories.filter((r) => copiesOf(r).includes('a-0')).length;
  t.is(spanning, aLoad.copies);
  t.is(result.zoneSpreadRelaxed.length, 1000 - spanning);
  t.true(result.repositories.filter((r) => r.zoneSpread === 'load-bound').length === 1000 - spanning);
  t.true(result.warnings.some((w) => w.includes('full')), result.warnings.join('; '));
});

test('stable: placing a placement again moves nothing', (t) => {
  for (const [n, zones, rf] of [
    [5, 0, 2],
    [9, 3, 3],
    [20, 4, 3],
    [4, 2, 3],
  ]) {
    const input = { repositories: repos(4000, rf), agents: agents(n, zones), current: {} };
    const first = place(input);
    const second = place({ ...input, current: first.placement });
    t.deepEqual(second.moves, [], `n=${n} zones=${zones} rf=${rf}`);
    t.deepEqual(second.placement, first.placement);
    // Also after a change (an agent added, another failed), the result is a fixed point.
    const changed = [...agents(n, zones).slice(1), { name: 'agent-x', ready: true, zone: 'zone-a' }];
    const third = place({ ...input, agents: changed, current: first.placement });
    const fourth = place({ ...input, agents: changed, current: third.placement });
    t.deepEqual(
      fourth.moves.filter((m) => m.kind === 'add' || m.kind === 'remove'),
      [],
      `after a change n=${n} zones=${zones}`,
    );
  }
});

test('a primary keeps its agent while that agent is eligible, even above its bound', (t) => {
  const list = agents(6);
  const base = place({ repositories: repos(2000, 2), agents: list, current: {} });
  // Every primary on agent-0: far above its bound, yet placement must not move a single one.
  const skewed: Record<string, RepoPlacement> = {};
  for (const [repo, p] of Object.entries(base.placement)) {
    skewed[repo] = { primary: 'agent-0', replicas: copiesOf(p).filter((a) => a !== 'agent-0').slice(0, 1) };
  }
  const result = place({ repositories: repos(2000, 2), agents: [...list, ...agents(2, 0, 'extra')], current: skewed });
  for (const r of result.repositories) t.is(r.primary, 'agent-0');
  t.false(result.moves.some((m) => m.role === 'primary'));
  t.deepEqual(result.overloadedAgents, ['agent-0']);
  // No replica may join the overloaded agent.
  t.false(result.repositories.some((r) => r.replicas.includes('agent-0')));
});

test('a draining agent is emptied: replicas move, primaries are handed off to a replica', (t) => {
  const list = agents(5);
  const before = place({ repositories: repos(1000, 2), agents: list, current: {} });
  const draining = list.map((a) => (a.name === 'agent-2' ? { ...a, draining: true } : a));
  const after = place({ repositories: repos(1000, 2), agents: draining, current: before.placement });
  t.is(copiesByAgent(after).get('agent-2') ?? 0, 0);
  const handedOff = before.repositories.filter((r) => r.primary === 'agent-2');
  t.true(handedOff.length > 0);
  for (const old of handedOff) {
    const r = after.repositories.find((d) => d.repo === old.repo)!;
    t.is(r.primaryAction, 'handoff');
    t.is(r.primary, null);
    t.is(r.previousPrimary, 'agent-2');
    t.is(r.replicas.length, 2, 'a new copy joins so that one replica can be promoted and two copies remain');
    t.true(old.replicas.every((a) => r.replicas.includes(a)), 'the existing replica is kept (it is in sync)');
    t.deepEqual(r.failoverCandidates, r.replicas);
    t.true(after.moves.some((m) => m.repo === r.repo && m.kind === 'handoff' && m.reason === 'agent-draining'));
  }
  for (const m of after.moves.filter((m) => m.kind === 'remove')) {
    t.is(m.agent, 'agent-2');
    t.is(m.reason, 'agent-draining');
  }
});

test('a failed primary needs a failover: only surviving replicas are candidates, a new copy restores the factor', (t) => {
  const list = agents(6);
  const before = place({ repositories: repos(600, 3), agents: list, current: {} });
  const failed = list.map((a) => (a.name === 'agent-4' ? { ...a, ready: false } : a));
  const after = place({ repositories: repos(600, 3), agents: failed, current: before.placement });
  const hit = before.repositories.filter((r) => r.primary === 'agent-4');
  t.true(hit.length > 0);
  for (const old of hit) {
    const r = after.repositories.find((d) => d.repo === old.repo)!;
    t.is(r.primaryAction, 'failover');
    t.deepEqual(r.failoverCandidates, [...old.replicas].sort());
    t.is(r.replicas.length, 3);
    const added = r.replicas.filter((a) => !old.replicas.includes(a));
    t.is(added.length, 1);
    t.false(r.failoverCandidates.includes(added[0]), 'an empty new copy is never a failover candidate');
    t.true(after.moves.some((m) => m.repo === r.repo && m.kind === 'failover' && m.agent === 'agent-4'));
  }
  // RF 1: nothing survives; the repository is flagged with no candidate (failover.ts reports it degraded).
  const single = place({ repositories: repos(50, 1), agents: list, current: {} });
  const lost = single.repositories.find((r) => r.primary === 'agent-4')!;
  const afterSingle = place({ repositories: repos(50, 1), agents: failed, current: single.placement });
  const r = afterSingle.repositories.find((d) => d.repo === lost.repo)!;
  t.is(r.primaryAction, 'failover');
  t.deepEqual(r.failoverCandidates, []);
});

test('replication factor above the eligible agents: as many copies as agents, reported', (t) => {
  const list = [...agents(3), { name: 'agent-down', ready: false }];
  const result = place({ repositories: [{ name: 'big', replicationFactor: 5 }], agents: list, current: {} });
  const r = result.repositories[0];
  t.is(copiesOf(r).length, 3);
  t.true(r.underReplicated);
  t.deepEqual(result.underReplicated, ['big']);
  t.true(result.warnings[0].includes('under-replicated'));
  const none = place({ repositories: [{ name: 'x', replicationFactor: 2 }], agents: [], current: {} });
  t.is(none.repositories[0].primary, null);
  t.true(none.repositories[0].underReplicated);
});

test('replication factor changes add or drop replicas, never the primary', (t) => {
  const list = agents(6);
  const before = place({ repositories: repos(300, 3), agents: list, current: {} });
  const down = place({ repositories: repos(300, 2), agents: list, current: before.placement });
  t.is(down.moves.length, 300);
  t.true(down.moves.every((m) => m.kind === 'remove' && m.role === 'replica' && m.reason === 'replication-factor-decreased'));
  for (const r of down.repositories) t.is(r.primary, before.placement[r.repo].primary);
  const up = place({ repositories: repos(300, 3), agents: list, current: down.placement });
  t.is(up.moves.length, 300);
  t.true(up.moves.every((m) => m.kind === 'add' && m.reason === 'replication-factor-increased'));
});

test('new repositories: one add per copy, the primary marked', (t) => {
  const result = place({ repositories: repos(10, 3), agents: agents(4), current: {} });
  t.is(result.moves.length, 30);
  t.is(result.moves.filter((m) => m.role === 'primary').length, 10);
  t.true(result.moves.every((m) => m.kind === 'add' && m.reason === 'new-repository'));
  for (const r of result.repositories) t.is(r.primaryAction, 'new');
});

test('deterministic: shuffled input order gives the identical result', (t) => {
  const list = agents(11, 3);
  const all = repos(3000, (i) => 1 + (i % 3));
  const first = place({ repositories: all, agents: list, current: {} });
  const changed = [...list.slice(2), { name: 'agent-new', ready: true, zone: 'zone-b' }];
  const expected = place({ repositories: all, agents: changed, current: first.placement });
  const random = rng(7);
  for (let round = 0; round < 3; round++) {
    const current: Record<string, RepoPlacement> = {};
    for (const repo of shuffle(Object.keys(first.placement), random)) {
      const p = first.placement[repo];
      current[repo] = { primary: p.primary, replicas: shuffle(p.replicas, random) };
    }
    const again = place({ repositories: shuffle(all, random), agents: shuffle(changed, random), current });
    t.deepEqual(again, expected);
  }
});

test('fast: 10,000 repositories × 20 agents, replication factor 3, well under a second', (t) => {
  const input = { repositories: repos(10000, 3), agents: agents(20, 3), current: {} };
  const times: number[] = [];
  let result = place(input);
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    result = place(i === 0 ? input : { ...input, agents: agents(21, 3), current: result.placement });
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  t.log(`initial/add/stable placement: ${times.map((ms) => ms.toFixed(0)).join(', ')} ms (sorted)`);
  t.true(times[1] < 1000, `median ${times[1]} ms`);
});
