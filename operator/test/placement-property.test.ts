// Property-style: random clusters (agents failing, draining, weighted, zoned; replication factors changing; messy
// current placements) and the invariants every placement must keep, then the same after one more change.
import test from 'ava';
import { place } from '../src/placement.js';
import { AgentInfo, PlacementInput, PlacementResult, RepoPlacement, RepositorySpec } from '../src/types.js';
import { rng, shuffle } from './helpers/clusters.js';

function randomCluster(seed: number): PlacementInput {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];
  const zones = pick([0, 1, 2, 3, 4]);
  const agents: AgentInfo[] = Array.from({ length: 1 + Math.floor(random() * 20) }, (_, i) => ({
    name: `a${i}`,
    ready: random() > 0.1,
    ...(random() < 0.1 ? { draining: true } : {}),
    ...(zones > 0 ? { zone: `z${Math.floor(random() * zones)}` } : {}),
    ...(random() < 0.2 ? { weight: pick([0.5, 2, 3]) } : {}),
  }));
  const repositories: RepositorySpec[] = Array.from({ length: Math.floor(random() * 1500) }, (_, i) => ({
    name: `r${i}`,
    replicationFactor: pick([1, 2, 3, 3, 5]),
  }));
  // Current placements drawn from any agent, known or not, including duplicates and pending failovers.
  const names = [...agents.map((a) => a.name), 'gone-1', 'gone-2'];
  const current: Record<string, RepoPlacement> = {};
  for (const r of repositories) {
    if (random() < 0.3) continue;
    current[r.name] = {
      primary: random() < 0.05 ? null : pick(names),
      replicas: Array.from({ length: Math.floor(random() * 4) }, () => pick(names)),
    };
  }
  return { repositories, agents, current };
}

function checkInvariants(t: { true(v: boolean, m?: string): void }, input: PlacementInput, out: PlacementResult, label: string) {
  const byName = new Map(input.agents.map((a) => [a.name, a]));
  const eligible = input.agents.filter((a) => a.ready && !a.draining && (a.weight ?? 1) > 0);
  const ok = (v: boolean, m: string) => t.true(v, `${label}: ${m}`);
  const loads = new Map<string, number>();
  for (const r of out.repositories) {
    const spec = input.repositories.find((s) => s.name === r.repo)!;
    const copies = [...(r.primary ? [r.primary] : []), ...r.replicas];
    for (const a of copies) loads.set(a, (loads.get(a) ?? 0) + 1);
    ok(new Set(copies).size === copies.length, `${r.repo} copies distinct`);
    ok(
      copies.every((a) => {
        const agent = byName.get(a);
        return agent !== undefined && agent.ready && !agent.draining && (agent.weight ?? 1) > 0;
      }),
      `${r.repo} only on eligible agents: ${copies}`,
    );
    const want = Math.min(spec.replicationFactor, eligible.length);
    // Pending failovers keep every surviving replica (they are candidates), so they may hold more.
    ok(r.primaryAction === 'failover' || r.primaryAction === 'handoff' ? copies.length >= want : copies.length === want, `${r.repo} has ${copies.length} copies, wants ${want}`);
    ok(r.underReplicated === copies.length < spec.replicationFactor, `${r.repo} under-replication flag`);
    const before = input.current[r.repo];
    if (before?.primary && eligible.some((a) => a.name === before.primary)) {
      ok(r.primary === before.primary, `${r.repo} primary kept`);
    }
    for (const c of r.failoverCandidates) ok(r.replicas.includes(c), `${r.repo} candidate ${c} is a replica`);
    if (r.primaryAction === 'failover') {
      for (const c of r.failoverCandidates) ok(before!.replicas.includes(c), `${r.repo} candidate ${c} existed before`);
    }
  }
  for (const l of out.loads) {
    ok((loads.get(l.agent) ?? 0) === l.copies, `${l.agent} load reported`);
    // Only copies placement may not move (primaries, failover candidates) can push an agent over its bound.
    if (l.copies > l.bound) ok(out.overloadedAgents.includes(l.agent), `${l.agent} over bound is reported`);
  }
}

test('random clusters: invariants, stability, determinism', (t) => {
  for (let seed = 1; seed <= 100; seed++) {
    const input = randomCluster(seed);
    const out = place(input);
    checkInvariants(t, input, out, `seed ${seed}`);

    const again = place({ ...input, current: out.placement });
    t.deepEqual(
      again.moves.filter((m) => m.kind === 'add' || m.kind === 'remove'),
      [],
      `seed ${seed}: placing the result again moves nothing`,
    );
    const random = rng(seed * 31);
    const shuffled = place({
      repositories: shuffle(input.repositories, random),
      agents: shuffle(input.agents, random),
      current: input.current,
    });
    t.deepEqual(shuffled, out, `seed ${seed}: input order does not matter`);

    // One more change: a new agent, everyone ready again.
    const next = { ...input, agents: [...input.agents.map((a) => ({ ...a, ready: true })), { name: 'new', ready: true }], current: out.placement };
    checkInvariants(t, next, place(next), `seed ${seed} + change`);
  }
});

test('random clusters without pinned copies: no agent above its bound unless every-agent repositories force it', (t) => {
  let forced = 0;
  for (let seed = 1000; seed < 1300; seed++) {
    const input = { ...randomCluster(seed), current: {} };
    const out = place(input);
    const eligible = out.loads.filter((l) => l.eligible).length;
    // A repository wanting as many copies as there are agents puts one on each, whatever the bound says.
    const everywhere = input.repositories.filter((r) => Math.min(r.replicationFactor, eligible) === eligible).length;
    for (const l of out.loads) {
      t.true(l.copies <= Math.max(l.bound, everywhere), `seed ${seed} ${l.agent} ${l.copies} > ${l.bound}`);
      if (l.copies > l.bound) forced++;
    }
  }
  t.log(`${forced} agents over their bound, each forced by repositories on every agent`);
});
