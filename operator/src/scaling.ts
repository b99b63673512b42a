// Autoscaling decisions in the manner of the HorizontalPodAutoscaler: a raw recommendation from the most pressed
// agent, then stabilisation over past recommendations (scale up to the lowest of the up window, scale down to the
// highest of the down window), then the [minAgents, maxAgents] clamp; and which agent to drain on scale-in.
import { compare } from './compare.js';

export interface AgentStats {
  name: string;
  memoryBytes: number;
  memoryLimit: number;
  /** Cores in use. */
  cpu: number;
  /** Cores the agent may use (its request or limit); CPU pressure is not computed without it. */
  cpuLimit?: number;
  /** Copies (primaries and replicas) the agent holds. */
  repositories: number;
}

export interface ScalingSpec {
  minAgents: number;
  maxAgents: number;
  targets: {
    /** 0-1 of memoryLimit. */
    memoryUtilization?: number;
    /** 0-1 of cpuLimit. */
    cpuUtilization?: number;
    repositoriesPerAgent?: number;
  };
  stabilization: { scaleUpSeconds: number; scaleDownSeconds: number };
}

/** A past raw recommendation (already clamped to [min, max]); `at` in milliseconds since the epoch. */
export interface Recommendation {
  at: number;
  agents: number;
}

export interface ScalingInput {
  currentAgents: number;
  /** Agents that reported; the missing ones are left out of the pressure, not counted as idle. */
  stats: readonly AgentStats[];
  spec: ScalingSpec;
  history: readonly Recommendation[];
  now: number;
}

export type Metric = 'memory' | 'cpu' | 'repositories';

export type ScalingReason =
  | 'ScaleUp'
  | 'ScaleDown'
  | 'Steady'
  | 'ScaleUpStabilizing'
  | 'ScaleDownStabilizing'
  | 'BelowMinimum'
  | 'AboveMaximum'
  | 'NoMetrics';

export interface ScalingDecision {
  desired: number;
  /** This round's raw recommendation, clamped. */
  recommendation: number;
  /** Highest usage/target ratio over agents and metrics; 1 is exactly on target. */
  pressure: number;
  metric: Metric | null;
  /** The agent with that pressure. */
  agent: string | null;
  reason: ScalingReason;
  message: string;
  /** Store this and pass it back next round: pruned to the windows, this round's recommendation appended. */
  history: Recommendation[];
}

/** Scale in only when every metric is below half its target (the dead band between 0.5 and 1 prevents flapping). */
const SCALE_IN_BELOW = 0.5;
/** After a scale-in the busiest agent should sit here, well inside the dead band. */
const SCALE_IN_TO = 0.75;

export function desiredAgents(input: ScalingInput): ScalingDecision {
  const { spec, now } = input;
  const current = Math.max(0, input.currentAgents);
  const clamp = (n: number) => Math.min(spec.maxAgents, Math.max(spec.minAgents, n));
  const top = pressure(input.stats, spec.targets);

  let raw = current;
  // Assumes placement spreads load evenly over the new count: max utilisation scales with current / desired.
  if (top && top.ratio > 1) raw = Math.ceil(current * top.ratio - 1e-9);
  else if (top && top.ratio < SCALE_IN_BELOW) raw = Math.max(1, Math.ceil((current * top.ratio) / SCALE_IN_TO - 1e-9));
  const recommendation = clamp(raw);

  const upFrom = now - spec.stabilization.scaleUpSeconds * 1000;
  const downFrom = now - spec.stabilization.scaleDownSeconds * 1000;
  const past = input.history.filter((h) => h.at <= now);
  const up = Math.min(recommendation, ...past.filter((h) => h.at > upFrom).map((h) => h.agents));
  const downRecs = past.filter((h) => h.at > downFrom).map((h) => h.agents);
  // "Below for the whole window" needs a record from the window's start; until then the current count stands in.
  const covered = spec.stabilization.scaleDownSeconds <= 0 || past.some((h) => h.at <= downFrom);
  const down = Math.max(recommendation, ...downRecs, ...(covered ? [] : [current]));

  let desired = current;
  if (up > current) desired = up;
  else if (down < current) desired = down;
  desired = clamp(desired);

  const describe = top
    ? `${top.metric} on ${top.agent} at ${(top.ratio * 100).toFixed(0)}% of target`
    : 'no agent reported metrics';
  let reason: ScalingReason;
  if (current < spec.minAgents) reason = 'BelowMinimum';
  else if (current > spec.maxAgents) reason = 'AboveMaximum';
  else if (desired > current) reason = 'ScaleUp';
  else if (desired < current) reason = 'ScaleDown';
  else if (!top) reason = 'NoMetrics';
  else if (recommendation > current) reason = 'ScaleUpStabilizing';
  else if (recommendation < current) reason = 'ScaleDownStabilizing';
  else reason = 'Steady';
  const capped = raw > spec.maxAgents ? ` (capped at maxAgents ${spec.maxAgents})` : '';

  return {
    desired,
    recommendation,
    pressure: top?.ratio ?? 0,
    metric: top?.metric ?? null,
    agent: top?.agent ?? null,
    reason,
    message: `${current} → ${desired} agents: ${describe}${capped}`,
    history: prune(past, Math.min(upFrom, downFrom), { at: now, agents: recommendation }),
  };
}

/** The highest usage/target ratio over agents and metrics; ties go to the lowest agent name, then memory, cpu. */
function pressure(
  stats: readonly AgentStats[],
  targets: ScalingSpec['targets'],
): { ratio: number; metric: Metric; agent: string } | undefined {
  let top: { ratio: number; metric: Metric; agent: string } | undefined;
  const consider = (ratio: number, metric: Metric, agent: string) => {
    if (!Number.isFinite(ratio)) return;
    if (!top || ratio > top.ratio) top = { ratio, metric, agent };
  };
  for (const s of [...stats].sort((a, b) => compare(a.name, b.name))) {
    if (targets.memoryUtilization && s.memoryLimit > 0) {
      consider(s.memoryBytes / s.memoryLimit / targets.memoryUtilization, 'memory', s.name);
    }
    if (targets.cpuUtilization && s.cpuLimit && s.cpuLimit > 0) {
      consider(s.cpu / s.cpuLimit / targets.cpuUtilization, 'cpu', s.name);
    }
    if (targets.repositoriesPerAgent) consider(s.repositories / targets.repositoriesPerAgent, 'repositories', s.name);
  }
  return top;
}

/** Keeps the windows' records plus the newest one before them (it proves the down window is covered). */
function prune(history: readonly Recommendation[], from: number, latest: Recommendation): Recommendation[] {
  const sorted = [...history].sort((a, b) => a.at - b.at);
  const inside = sorted.filter((h) => h.at > from);
  const before = sorted.filter((h) => h.at <= from).pop();
  return [...(before ? [before] : []), ...inside, latest];
}

export interface RemovalInput {
  agents: readonly { name: string; ready?: boolean; draining?: boolean }[];
  repositories: readonly {
    name: string;
    replicationFactor: number;
    primary: string | null;
    replicas: readonly string[];
    inSyncReplicas: readonly string[];
  }[];
}

export interface RemovalChoice {
  agent: string | null;
  reason: 'ContinueDrain' | 'NotReady' | 'LeastLoaded' | 'AllProtected' | 'NoAgents';
  /** Agents that may not be drained, each with one repository it alone holds in sync. */
  protected: { agent: string; repo: string }[];
}

/**
 * The agent to drain on scale-in: never the only in-sync holder of a repository meant to have several copies
 * (draining it while its other copies lag risks the only good one). Single-copy repositories are sole by design:
 * draining copies them elsewhere first, so they protect nothing. Preference: a drain already under way, then an
 * agent that is not ready, then fewest primaries, fewest copies, and the highest name (newest, like StatefulSets).
 */
export function chooseAgentToRemove(input: RemovalInput): RemovalChoice {
  const primaries = new Map<string, number>();
  const copies = new Map<string, number>();
  const protectedBy = new Map<string, string>();
  const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const repo of [...input.repositories].sort((a, b) => compare(a.name, b.name))) {
    const holders = new Set(repo.replicas.filter((r) => repo.inSyncReplicas.includes(r)));
    if (repo.primary) {
      holders.add(repo.primary);
      bump(primaries, repo.primary);
    }
    for (const a of new Set([...(repo.primary ? [repo.primary] : []), ...repo.replicas])) bump(copies, a);
    const sole = [...holders];
    if (repo.replicationFactor > 1 && sole.length === 1 && !protectedBy.has(sole[0])) protectedBy.set(sole[0], repo.name);
  }
  const prot = [...protectedBy].map(([agent, repo]) => ({ agent, repo })).sort((a, b) => compare(a.agent, b.agent));
  if (input.agents.length === 0) return { agent: null, reason: 'NoAgents', protected: prot };
  const free = input.agents.filter((a) => !protectedBy.has(a.name));
  if (free.length === 0) return { agent: null, reason: 'AllProtected', protected: prot };
  const rank = (a: RemovalInput['agents'][number]) => (a.draining ? 0 : a.ready === false ? 1 : 2);
  const best = [...free].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      (primaries.get(a.name) ?? 0) - (primaries.get(b.name) ?? 0) ||
      (copies.get(a.name) ?? 0) - (copies.get(b.name) ?? 0) ||
      naturalCompare(b.name, a.name),
  )[0];
  const reason = rank(best) === 0 ? 'ContinueDrain' : rank(best) === 1 ? 'NotReady' : 'LeastLoaded';
  return { agent: best.name, reason, protected: prot };
}

/** Digit runs compare as numbers, so agent-10 sorts after agent-9. */
export function naturalCompare(a: string, b: string): number {
  const split = (s: string) => s.match(/\d+|\D+/g) ?? [];
  const x = split(a);
  const y = split(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const dx = /^\d/.test(x[i]);
    const dy = /^\d/.test(y[i]);
    const c = dx && dy ? Number(x[i]) - Number(y[i]) || compare(x[i], y[i]) : compare(x[i], y[i]);
    if (c !== 0) return c;
  }
  return x.length - y.length || compare(a, b);
}
