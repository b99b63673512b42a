// Repository placement: consistent hashing with virtual nodes and bounded loads, sticky to the current placement.
// Order of work: keep every copy still on an eligible agent (up to the replication factor, best ring rank first),
// fill missing copies along each repository's ring order (unused failure domain first, then any agent with room),
// then repeat shedding copies above the load bound, zone repair and rebalancing until none moves anything. The
// result is a fixed point of those passes, so placing it again moves nothing.
import { compare } from './compare.js';
import { HashRing } from './hash-ring.js';
import { PlacementState, RepoWork } from './placement-state.js';
import { rebalancePass, shedPass, zoneRepairPass } from './rebalance.js';
import {
  AgentInfo,
  AgentLoad,
  Move,
  MoveReason,
  PlacementInput,
  PlacementResult,
  PrimaryAction,
  RepoDecision,
  RepoPlacement,
} from './types.js';

const DEFAULTS = { loadFactor: 1.25, virtualNodes: 128, rebalanceTrigger: 0.8 };
/** Far above what zone repair and rebalancing need; only a guard against a bug looping forever. */
const MAX_ROUNDS = 100;

export function place(input: PlacementInput): PlacementResult {
  const opts = { ...DEFAULTS, ...input.options };
  const agents = sortedUnique(input.agents, (a) => a.name, 'agent');
  const specs = sortedUnique(input.repositories, (r) => r.name, 'repository');
  const byName = new Map(agents.map((a) => [a.name, a]));
  const eligible = agents.filter(isEligible);
  const ring = new HashRing(
    eligible.map((a) => ({ name: a.name, weight: a.weight ?? 1 })),
    opts.virtualNodes,
  );
  const totalCopies = specs.reduce((s, r) => s + Math.min(Math.max(1, r.replicationFactor), eligible.length), 0);
  const state = new PlacementState(eligible, totalCopies, specs.length, opts.loadFactor);

  const repos = specs.map((spec): RepoWork => {
    // Own properties only: "constructor" is a valid repository name.
    const current = Object.hasOwn(input.current, spec.name) ? input.current[spec.name] : undefined;
    const { action, previousPrimary } = primaryAction(current, byName, state);
    const point = ring.pointOf(spec.name);
    const { order, rank } = ring.size > 0 ? ring.preference(point) : { order: new Int32Array(0), rank: new Int32Array(0) };
    const replicationFactor = Math.max(1, spec.replicationFactor);
    return {
      name: spec.name,
      point,
      want: Math.min(replicationFactor, eligible.length),
      replicationFactor,
      order,
      rank,
      primary: -1,
      replicas: [],
      action,
      previousPrimary,
      current,
      pinned: action === 'failover' || action === 'handoff',
      survivors: [],
      lossReason: undefined,
      reasons: undefined,
    };
  });
  // Hash order spreads whoever wins a contended agent evenly over the keyspace instead of favouring early names.
  const byHash = [...repos].sort((a, b) => a.point - b.point || compare(a.name, b.name));

  keepValidCopies(state, repos, byName);
  // Repositories wanting the most copies have the fewest choices: placed first, they find room everywhere.
  const byNeed = [...byHash].sort((a, b) => b.want - a.want);
  for (const repo of byNeed) fillMissingCopies(state, repo);
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const moved =
      shedPass(state, byHash) + zoneRepairPass(state, byHash) + rebalancePass(state, byHash, opts.rebalanceTrigger);
    if (moved === 0) break;
  }
  return assemble(state, repos, agents, totalCopies);
}

function isEligible(a: AgentInfo): boolean {
  return a.ready && !a.draining && (a.weight ?? 1) > 0;
}

function primaryAction(
  current: RepoPlacement | undefined,
  byName: Map<string, AgentInfo>,
  state: PlacementState,
): { action: PrimaryAction; previousPrimary: string | null } {
  if (!current) return { action: 'new', previousPrimary: null };
  const primary = current.primary;
  if (primary === null) return { action: 'failover', previousPrimary: null };
  if (state.indexOf(primary) !== undefined) return { action: 'keep', previousPrimary: null };
  return { action: byName.get(primary)?.ready ? 'handoff' : 'failover', previousPrimary: primary };
}

function lossReason(agent: AgentInfo | undefined): MoveReason {
  return agent?.ready ? 'agent-draining' : 'agent-gone';
}

function keepValidCopies(state: PlacementState, repos: RepoWork[], byName: Map<string, AgentInfo>): void {
  const candidates: { repo: RepoWork; agent: number }[] = [];
  for (const repo of repos) {
    if (repo.action === 'keep') state.setPrimary(repo, state.indexOf(repo.current!.primary!)!);
    if (repo.previousPrimary !== null) repo.lossReason = lossReason(byName.get(repo.previousPrimary));
    const seen = new Set<string>();
    for (const name of repo.current?.replicas ?? []) {
      if (seen.has(name) || name === repo.current!.primary) continue;
      seen.add(name);
      const agent = state.indexOf(name);
      if (agent === undefined) {
        const reason = lossReason(byName.get(name));
        state.note(repo, name, reason);
        repo.lossReason ??= reason;
      } else if (repo.pinned) {
        // Possible failover candidates are never dropped, whatever the bound says.
        state.addReplica(repo, agent);
        repo.survivors.push(agent);
      } else {
        candidates.push({ repo, agent });
      }
    }
  }
  // Copies the ring ranks best are kept first, so a lower replication factor drops the outliers. Copies on agents
  // above their bound are kept here and shed later, only where another agent has room.
  candidates.sort(
    (x, y) => x.repo.rank[x.agent] - y.repo.rank[y.agent] || x.repo.point - y.repo.point || compare(x.repo.name, y.repo.name),
  );
  for (const { repo, agent } of candidates) {
    if (state.copyCount(repo) >= repo.want) state.note(repo, state.name(agent), 'replication-factor-decreased');
    else state.addReplica(repo, agent);
  }
}

/** Adds copies until the repository has as many as it wants, each at state.newHome (its tiered ring walk). */
export function fillMissingCopies(state: PlacementState, repo: RepoWork): void {
  const reason: MoveReason =
    repo.action === 'new' ? 'new-repository' : (repo.lossReason ?? 'replication-factor-increased');
  while (state.copyCount(repo) < repo.want) state.addReplica(repo, state.newHome(repo, -1, false), reason);
  if (repo.action === 'new' && repo.primary < 0 && repo.replicas.length > 0) {
    // Writes go to primaries, so a new repository's primary is its copy on the agent with the fewest primaries.
    const relative = (a: number) => state.primaries[a] / state.weight[a];
    state.promote(repo, repo.replicas.reduce((best, a) => (relative(a) < relative(best) ? a : best)));
  }
}

function assemble(state: PlacementState, repos: RepoWork[], agents: AgentInfo[], totalCopies: number): PlacementResult {
  const moves: Move[] = [];
  const kindOrder = { failover: 0, handoff: 1, add: 2, remove: 3 };
  const decisions = repos.map((repo): RepoDecision => {
    const primary = repo.primary >= 0 ? state.name(repo.primary) : null;
    const replicas = repo.replicas.map((a) => state.name(a)).sort(compare);
    const survivors = repo.survivors.map((a) => state.name(a)).sort(compare);
    // Repositories are already in name order, so sorting each one's moves sorts them all.
    const own = diff(repo, primary, replicas);
    own.sort((a, b) => kindOrder[a.kind] - kindOrder[b.kind] || compare(a.agent, b.agent));
    for (const m of own) moves.push(m);
    return {
      repo: repo.name,
      primary,
      replicas,
      primaryAction: repo.action,
      previousPrimary: repo.previousPrimary,
      failoverCandidates: repo.action === 'handoff' ? replicas : repo.action === 'failover' ? survivors : [],
      underReplicated: state.copyCount(repo) < repo.replicationFactor,
      zoneSpread: state.zoneSpread(repo),
    };
  });
  const loads = agents.map((a): AgentLoad => {
    const i = state.indexOf(a.name);
    if (i === undefined) return { agent: a.name, eligible: false, copies: 0, primaries: 0, target: 0, bound: 0 };
    const bound = state.bound[i];
    return { agent: a.name, eligible: true, copies: state.load[i], primaries: state.primaries[i], target: state.target[i], bound };
  });
  const placement: Record<string, RepoPlacement> = {};
  for (const d of decisions) placement[d.repo] = { primary: d.primary, replicas: d.replicas };
  const underReplicated = decisions.filter((d) => d.underReplicated).map((d) => d.repo);
  const zoneSpreadRelaxed = decisions.filter((d) => d.zoneSpread !== 'full').map((d) => d.repo);
  const overloadedAgents = loads.filter((l) => l.eligible && l.copies > l.bound).map((l) => l.agent);
  return {
    repositories: decisions,
    placement,
    moves,
    loads,
    totalCopies,
    underReplicated,
    zoneSpreadRelaxed,
    overloadedAgents,
    warnings: warnings(state, decisions, underReplicated, overloadedAgents),
  };
}

function warnings(state: PlacementState, decisions: RepoDecision[], under: string[], overloaded: string[]): string[] {
  const out: string[] = [];
  const eligible = state.agents.length;
  if (under.length > 0) {
    out.push(`${under.length} repositories under-replicated: replication factor above the ${eligible} eligible agents`);
  }
  const byZones = decisions.filter((d) => d.zoneSpread === 'fewer-zones-than-copies').length;
  if (byZones > 0) {
    out.push(`${byZones} repositories share zones: more copies than the ${state.domainCount} zones with eligible agents`);
  }
  const byLoad = decisions.filter((d) => d.zoneSpread === 'load-bound').length;
  if (byLoad > 0) out.push(`${byLoad} repositories share a zone although another has agents: those agents are full`);
  if (overloaded.length > 0) out.push(`agents above their load bound (pinned copies or no other agent free): ${overloaded.join(', ')}`);
  return out;
}

function diff(repo: RepoWork, primary: string | null, replicas: string[]): Move[] {
  const moves: Move[] = [];
  const before = new Set([...(repo.current?.replicas ?? []), ...(repo.current?.primary ? [repo.current.primary] : [])]);
  const after = new Set([...replicas, ...(primary ? [primary] : [])]);
  if (repo.previousPrimary !== null) {
    const kind = repo.action === 'handoff' ? 'handoff' : 'failover';
    moves.push({ repo: repo.name, kind, agent: repo.previousPrimary, role: 'primary', reason: repo.lossReason! });
    before.delete(repo.previousPrimary);
  }
  for (const agent of before) {
    if (after.has(agent)) continue;
    const reason = repo.reasons?.get(agent) ?? 'agent-gone';
    moves.push({ repo: repo.name, kind: 'remove', agent, role: 'replica', reason });
  }
  for (const agent of after) {
    if (before.has(agent)) continue;
    const reason = repo.reasons?.get(agent) ?? 'replication-factor-increased';
    moves.push({ repo: repo.name, kind: 'add', agent, role: agent === primary ? 'primary' : 'replica', reason });
  }
  return moves;
}

function sortedUnique<T>(items: readonly T[], nameOf: (t: T) => string, what: string): T[] {
  const sorted = [...items].sort((a, b) => compare(nameOf(a), nameOf(b)));
  for (let i = 1; i < sorted.length; i++) {
    // Kubernetes names are unique per namespace; a duplicate means the caller mixed two lists.
    if (nameOf(sorted[i]) === nameOf(sorted[i - 1])) throw new Error(`duplicate ${what} ${nameOf(sorted[i])}`);
  }
  return sorted;
}
