// The observed state placement reads and the decision it returns. Pure data: the controller fills these from the
// API server (GovcCluster, Repository, agent Pods) and writes the result back into Repository status.

/** One govc agent as the operator sees it. */
export interface AgentInfo {
  name: string;
  /** Failure domain (topology.kubernetes.io/zone). Agents without one are each their own domain. */
  zone?: string;
  /** Not failed per detectFailedAgents (not raw Pod readiness, which flaps). */
  ready: boolean;
  /** Being emptied (scale-in, node drain): gets no copies, its primaries are handed off. */
  draining?: boolean;
  /** Relative capacity, default 1; 0 gets no copies (like draining). */
  weight?: number;
}

export interface RepositorySpec {
  name: string;
  /** Copies wanted, the primary included; values below 1 count as 1. */
  replicationFactor: number;
}

/** Where a repository lives. A null primary means a failover or handoff is pending. */
export interface RepoPlacement {
  primary: string | null;
  replicas: string[];
}

export interface PlacementOptions {
  /** No agent takes more than ceil(loadFactor × its fair share) copies (Mirrokni et al.). Default 1.25. */
  loadFactor?: number;
  /** Ring points per unit of weight. Default 128. */
  virtualNodes?: number;
  /** An agent below this fraction of its fair share pulls replicas until it reaches its share. Default 0.8. */
  rebalanceTrigger?: number;
}

export interface PlacementInput {
  repositories: readonly RepositorySpec[];
  agents: readonly AgentInfo[];
  /** Current placement by repository name; repositories absent here are new. */
  current: Readonly<Record<string, RepoPlacement>>;
  options?: PlacementOptions;
}

/**
 * What happens to the primary:
 * - keep: its agent is still eligible;
 * - new: the repository had no placement, `primary` is its first copy;
 * - failover: its agent is gone; promote one of `failoverCandidates` (failover.ts decides which);
 * - handoff: its agent is draining but alive; once a candidate is in sync, switch over to it.
 */
export type PrimaryAction = 'keep' | 'new' | 'failover' | 'handoff';

export type MoveReason =
  | 'new-repository'
  | 'agent-gone'
  | 'agent-draining'
  | 'over-load-bound'
  | 'replication-factor-increased'
  | 'replication-factor-decreased'
  | 'zone-spread'
  | 'rebalance';

/**
 * One change from the current placement. `add` copies are made before `remove`s of the same repository are
 * carried out (make before break); `failover`/`handoff` name the old primary.
 */
export interface Move {
  repo: string;
  kind: 'add' | 'remove' | 'failover' | 'handoff';
  agent: string;
  role: 'primary' | 'replica';
  reason: MoveReason;
}

export interface RepoDecision {
  repo: string;
  /** Target primary; null while a failover or handoff is pending. */
  primary: string | null;
  /** Target replicas, sorted by name. */
  replicas: string[];
  primaryAction: PrimaryAction;
  /** The old primary, for failover/handoff. */
  previousPrimary: string | null;
  /**
   * Replicas that may become primary: for a failover only copies that existed before (a new copy holds no
   * acknowledged writes); for a handoff every replica (all catch up from the live primary).
   */
  failoverCandidates: string[];
  /** Fewer copies than the replication factor (not enough eligible agents). */
  underReplicated: boolean;
  zoneSpread: ZoneSpread;
}

/**
 * How the copies spread over failure domains (zones; without zones every agent is its own):
 * - full: every copy in a different domain;
 * - fewer-zones-than-copies: every eligible domain holds a copy, some hold two;
 * - load-bound: a domain is unused because its agents were at their bound (or a failover pending froze the copies).
 */
export type ZoneSpread = 'full' | 'fewer-zones-than-copies' | 'load-bound';

export interface AgentLoad {
  agent: string;
  eligible: boolean;
  copies: number;
  primaries: number;
  /** Fair share of all copies by weight. */
  target: number;
  /** ceil(loadFactor × target): the bounded-load limit. */
  bound: number;
}

export interface PlacementResult {
  /** One entry per input repository, sorted by name. */
  repositories: RepoDecision[];
  /** The same target as a map, ready to be fed back as the next `current`. */
  placement: Record<string, RepoPlacement>;
  /** Sorted by repository, then kind, then agent. */
  moves: Move[];
  /** Per agent, sorted by name. */
  loads: AgentLoad[];
  /** Total copies the placement aims for: Σ min(replicationFactor, eligible agents). */
  totalCopies: number;
  underReplicated: string[];
  /** Repositories whose copies share a failure domain (zoneSpread other than full). */
  zoneSpreadRelaxed: string[];
  /** Agents above their bound (only pinned primaries or failover candidates can push one there). */
  overloadedAgents: string[];
  /** One line per kind of compromise above, for events and the GovcCluster status. */
  warnings: string[];
}
