// The working copy place() edits: eligible agents with their loads, bounds and failure domains, and each
// repository's copies as agent indices. Every copy added or dropped goes through here so loads stay exact.
import { AgentInfo, MoveReason, PrimaryAction, RepoPlacement, ZoneSpread } from './types.js';

export interface RepoWork {
  name: string;
  /** Ring point the repository hashes to: its place in the keyspace. */
  point: number;
  /** min(replicationFactor, eligible agents). */
  want: number;
  replicationFactor: number;
  /** Eligible agents in this repository's ring order, and each agent's position in it. */
  order: Int32Array;
  rank: Int32Array;
  /** Eligible agent index, or -1 (none yet, or a failover/handoff pending). */
  primary: number;
  replicas: number[];
  action: PrimaryAction;
  previousPrimary: string | null;
  current: RepoPlacement | undefined;
  /** Failover or handoff pending: its surviving replicas are candidates and must not be moved. */
  pinned: boolean;
  /** Replicas that existed before this run and were kept (failover candidates). */
  survivors: number[];
  /** Why the first copy was lost this run; copies made to replace it carry the same reason. */
  lossReason: MoveReason | undefined;
  /** Last reason recorded for adding or dropping a copy, by agent name; created on first use. */
  reasons: Map<string, MoveReason> | undefined;
}

export class PlacementState {
  readonly agents: AgentInfo[];
  readonly weight: Float64Array;
  readonly domain: Int32Array;
  readonly domainCount: number;
  readonly load: Int32Array;
  readonly primaries: Int32Array;
  readonly target: Float64Array;
  readonly bound: Int32Array;
  private readonly index = new Map<string, number>();

  /** `eligible` must be sorted by name; its order is the agent index. */
  constructor(
    eligible: AgentInfo[],
    totalCopies: number,
    /** An agent holds at most one copy per repository. */
    maxPerAgent: number,
    loadFactor: number,
  ) {
    this.agents = eligible;
    const n = eligible.length;
    this.weight = Float64Array.from(eligible, (a) => a.weight ?? 1);
    this.load = new Int32Array(n);
    this.primaries = new Int32Array(n);
    this.target = new Float64Array(n);
    this.bound = new Int32Array(n);
    const domainIds = new Map<string, number>();
    this.domain = Int32Array.from(eligible, (a) => {
      // Agents without a zone are each their own failure domain, so "distinct domains" reduces to "distinct agents".
      const key = a.zone !== undefined && a.zone !== '' ? `zone:${a.zone}` : `agent:${a.name}`;
      if (!domainIds.has(key)) domainIds.set(key, domainIds.size);
      return domainIds.get(key)!;
    });
    this.domainCount = domainIds.size;
    this.target.set(fairShares(this.weight, totalCopies, maxPerAgent));
    for (let i = 0; i < n; i++) {
      this.index.set(eligible[i].name, i);
      this.bound[i] = Math.ceil(loadFactor * this.target[i] - 1e-9);
    }
  }

  indexOf(agent: string): number | undefined {
    return this.index.get(agent);
  }

  name(agent: number): string {
    return this.agents[agent].name;
  }

  hasRoom(agent: number): boolean {
    return this.load[agent] < this.bound[agent];
  }

  /** Below ceil(fair share): where new copies go first. */
  underFairShare(agent: number): boolean {
    return this.load[agent] < Math.ceil(this.target[agent] - 1e-9);
  }

  /** Load relative to weight: what "most loaded" compares. */
  relativeLoad(agent: number): number {
    return this.load[agent] / this.weight[agent];
  }

  holds(repo: RepoWork, agent: number): boolean {
    return repo.primary === agent || repo.replicas.includes(agent);
  }

  copies(repo: RepoWork): number[] {
    return repo.primary >= 0 ? [repo.primary, ...repo.replicas] : [...repo.replicas];
  }

  copyCount(repo: RepoWork): number {
    return repo.replicas.length + (repo.primary >= 0 ? 1 : 0);
  }

  /**
   * Distinct failure domains among the repository's copies, with `without` left out and `plus` added.
   * Allocation-free: it runs for every repository in every pass, and copies are few.
   */
  distinctDomains(repo: RepoWork, without = -1, plus = -1): number {
    const r = repo.replicas;
    const total = r.length + 2;
    let distinct = 0;
    for (let i = 0; i < total; i++) {
      const a = this.at(repo, i, without, plus);
      if (a < 0) continue;
      let seen = false;
      for (let j = 0; j < i && !seen; j++) {
        const b = this.at(repo, j, without, plus);
        seen = b >= 0 && this.domain[b] === this.domain[a];
      }
      if (!seen) distinct++;
    }
    return distinct;
  }

  /** Copy slot i of a repository as distinctDomains sees it: primary, replicas, then `plus`; -1 for a gap. */
  private at(repo: RepoWork, i: number, without: number, plus: number): number {
    const a = i === 0 ? repo.primary : i <= repo.replicas.length ? repo.replicas[i - 1] : plus;
    return a === without ? -1 : a;
  }

  /** Copies share a domain although an eligible domain is still unused by them. */
  zoneSpreadRelaxed(repo: RepoWork): boolean {
    return this.zoneSpread(repo) === 'load-bound';
  }

  zoneSpread(repo: RepoWork): ZoneSpread {
    if (this.domainCount === this.agents.length) return 'full'; // no zones: distinct agents are distinct domains
    const distinct = this.distinctDomains(repo);
    const copies = this.copyCount(repo);
    if (distinct === copies) return 'full';
    return distinct < this.domainCount ? 'load-bound' : 'fewer-zones-than-copies';
  }

  /**
   * Where a new copy of the repository goes, walking its ring order in tiers: an unused failure domain before a
   * shared one, and within each an agent under its fair share before one merely under its bound. Of the first two
   * agents of the best tier the less loaded wins ("power of two choices"): without it, agents of a zone that the
   * zone constraint keeps below the global fair share would fill in plain ring order, i.e. unevenly. `without` is
   * a copy being moved away (neither a candidate nor counted). With no agent under its bound: the least loaded,
   * or -1 when `onlyWithRoom`.
   */
  newHome(repo: RepoWork, without: number, onlyWithRoom: boolean): number {
    let first = -1;
    let second = -1;
    let bestTier = 5;
    for (const a of repo.order) {
      if (a === without || this.holds(repo, a)) continue;
      let tier = 4;
      if (this.hasRoom(a)) {
        tier = (this.sharesDomain(repo, a, without) ? 2 : 0) + (this.underFairShare(a) ? 0 : 1);
      } else if (onlyWithRoom) {
        continue;
      }
      if (tier < bestTier) {
        [first, second, bestTier] = [a, -1, tier];
      } else if (tier === bestTier && (second < 0 || tier === 4)) {
        // In the last-resort tier keep scanning for the least loaded agent.
        if (second < 0 || this.relativeLoad(a) < this.relativeLoad(second)) second = a;
      }
      if (bestTier === 0 && second >= 0) break;
    }
    return second >= 0 && this.relativeLoad(second) < this.relativeLoad(first) ? second : first;
  }

  private sharesDomain(repo: RepoWork, agent: number, without: number): boolean {
    const d = this.domain[agent];
    if (repo.primary >= 0 && repo.primary !== without && this.domain[repo.primary] === d) return true;
    for (const r of repo.replicas) if (r !== without && this.domain[r] === d) return true;
    return false;
  }

  setPrimary(repo: RepoWork, agent: number, reason?: MoveReason): void {
    repo.primary = agent;
    this.load[agent]++;
    this.primaries[agent]++;
    if (reason) this.note(repo, this.name(agent), reason);
  }

  /** Makes a replica added this run the primary of a new repository (its load is already counted). */
  promote(repo: RepoWork, agent: number): void {
    repo.replicas.splice(repo.replicas.indexOf(agent), 1);
    repo.primary = agent;
    this.primaries[agent]++;
  }

  addReplica(repo: RepoWork, agent: number, reason?: MoveReason): void {
    repo.replicas.push(agent);
    this.load[agent]++;
    if (reason) this.note(repo, this.name(agent), reason);
  }

  removeReplica(repo: RepoWork, agent: number, reason: MoveReason): void {
    const at = repo.replicas.indexOf(agent);
    if (at < 0) throw new Error(`${repo.name} has no replica on ${this.name(agent)}`);
    repo.replicas.splice(at, 1);
    this.load[agent]--;
    this.note(repo, this.name(agent), reason);
  }

  moveReplica(repo: RepoWork, from: number, to: number, reason: MoveReason): void {
    this.removeReplica(repo, from, reason);
    this.addReplica(repo, to, reason);
  }

  /** Records why a copy was added or dropped (for the move list). */
  note(repo: RepoWork, agent: string, reason: MoveReason): void {
    (repo.reasons ??= new Map()).set(agent, reason);
  }
}

/**
 * Shares of `total` proportional to weight, water-filled: an agent whose share exceeds `cap` (one copy per
 * repository) gets `cap` and the rest is shared among the others, so a heavy agent's unusable share does not
 * leave everyone else with a bound too tight to place everything.
 */
export function fairShares(weights: Float64Array, total: number, cap: number): Float64Array {
  const shares = new Float64Array(weights.length);
  const capped = new Set<number>();
  for (;;) {
    const open = [...weights.keys()].filter((i) => !capped.has(i));
    const weight = open.reduce((s, i) => s + weights[i], 0);
    const left = total - capped.size * cap;
    const over = open.filter((i) => (left * weights[i]) / weight > cap);
    if (over.length === 0 || open.length === over.length) {
      for (const i of open) shares[i] = weight > 0 ? Math.min(cap, (left * weights[i]) / weight) : 0;
      for (const i of capped) shares[i] = cap;
      return shares;
    }
    for (const i of over) capped.add(i);
  }
}
