// Placing new repositories next to an existing placement without placing everything again: the loads of the
// existing copies are counted, bounds are those a full place() over all of them would use, and each new repository
// gets its copies the way place() gives a new repository its copies (tiered ring walk, primary on the copy whose agent
// has the fewest primaries). No existing copy moves; the next full place() (sticky) rebalances if it must. This is
// what keeps 10,000 arriving repositories from costing 10,000 placements of everything.
import { compare } from './compare.js';
import { HashRing } from './hash-ring.js';
import { fillMissingCopies } from './placement.js';
import { PlacementState, RepoWork } from './placement-state.js';
import type { AgentInfo, PlacementOptions, RepoDecision, RepoPlacement, RepositorySpec } from './types.js';

const DEFAULTS = { loadFactor: 1.25, virtualNodes: 128 };

export interface AdditionsInput {
  /** Repositories with no placement yet (not among `existing`). */
  additions: readonly RepositorySpec[];
  agents: readonly AgentInfo[];
  /** What the other repositories' copies weigh on the agents (loadsOf, kept up to date with addLoads). */
  existing: Loads;
  options?: PlacementOptions;
}

/** Copies and primaries per agent name, and how many repositories they belong to. */
export interface Loads {
  repositories: number;
  copies: Map<string, number>;
  primaries: Map<string, number>;
}

export function loadsOf(placements: Iterable<RepoPlacement>): Loads {
  const loads: Loads = { repositories: 0, copies: new Map(), primaries: new Map() };
  for (const p of placements) addLoads(loads, p);
  return loads;
}

export function addLoads(loads: Loads, p: RepoPlacement): void {
  loads.repositories++;
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  if (p.primary !== null) {
    bump(loads.copies, p.primary);
    bump(loads.primaries, p.primary);
  }
  for (const r of p.replicas) bump(loads.copies, r);
}

export function placeAdditions(input: AdditionsInput): RepoDecision[] {
  const opts = { ...DEFAULTS, ...input.options };
  const eligible = [...input.agents].filter((a) => a.ready && !a.draining && (a.weight ?? 1) > 0).sort((a, b) => compare(a.name, b.name));
  const ring = new HashRing(eligible.map((a) => ({ name: a.name, weight: a.weight ?? 1 })), opts.virtualNodes);
  const { existing } = input;
  const want = (rf: number) => Math.min(Math.max(1, rf), eligible.length);
  // Bounds as a full place() would set them: the existing copies on eligible agents plus the new ones.
  let total = 0;
  for (const a of eligible) total += existing.copies.get(a.name) ?? 0;
  for (const a of input.additions) total += want(a.replicationFactor);
  const state = new PlacementState(eligible, total, existing.repositories + input.additions.length, opts.loadFactor);
  eligible.forEach((a, i) => {
    state.load[i] = existing.copies.get(a.name) ?? 0;
    state.primaries[i] = existing.primaries.get(a.name) ?? 0;
  });
  const repos = input.additions.map((spec): RepoWork => {
    const point = ring.pointOf(spec.name);
    const { order, rank } = ring.size > 0 ? ring.preference(point) : { order: new Int32Array(0), rank: new Int32Array(0) };
    const replicationFactor = Math.max(1, spec.replicationFactor);
    return {
      name: spec.name, point, want: want(replicationFactor), replicationFactor, order, rank, primary: -1, replicas: [],
      action: 'new', previousPrimary: null, current: undefined, pinned: false, survivors: [], lossReason: undefined, reasons: undefined,
    };
  });
  // As place() orders them: most copies wanted first, then hash order.
  const byNeed = [...repos].sort((a, b) => b.want - a.want || a.point - b.point || compare(a.name, b.name));
  for (const repo of byNeed) fillMissingCopies(state, repo);
  return repos.map((repo) => ({
    repo: repo.name,
    primary: repo.primary >= 0 ? state.name(repo.primary) : null,
    replicas: repo.replicas.map((a) => state.name(a)).sort(compare),
    primaryAction: 'new',
    previousPrimary: null,
    failoverCandidates: [],
    underReplicated: state.copyCount(repo) < repo.replicationFactor,
    zoneSpread: state.zoneSpread(repo),
  }));
}
