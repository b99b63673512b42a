// Failover decisions: which agents count as failed, and which replica becomes primary. Never promotes a copy
// that could be missing an acknowledged write: a wrong "degraded" costs availability, a wrong promotion loses data.
import { compare } from './compare.js';

/** What the Repository status records (the operator's own record of the last epoch). */
export interface RepositoryStatusView {
  primary: string | null;
  replicas: readonly string[];
  epoch: number;
  /**
   * Replicas the primary last reported in sync; omitted when never reported. With async writes a candidate must be
   * in it and say it caught up in this epoch itself; with replica acknowledgements its own word suffices.
   */
  inSyncReplicas?: readonly string[];
  /** Highest seq known to be acknowledged to a client (a lower bound: the primary may have acked more since). */
  ackedSeq?: number;
  /**
   * Members (primary included) that must apply a write before it is acknowledged (quorum: ⌊members/2⌋+1).
   * With it, promotion waits until the reachable replicas must include one that holds every acknowledged write.
   */
  requiredAcks?: number;
  /**
   * The epoch recorded before this one. When this epoch never took effect (it was recorded, but the primary died
   * before its assignment reached enough replicas: epochNeverTookEffect), failover decides on that one.
   */
  previous?: PreviousEpochView;
}

/** The replica set of the epoch before the recorded one (the ack count its write concern required). */
export interface PreviousEpochView {
  primary: string | null;
  replicas: readonly string[];
  epoch: number;
  requiredAcks: number;
}

/** What one replica says about itself (admin RPC RepoState). */
export interface ReplicaReport {
  agent: string;
  appliedSeq: number;
  /** The epoch of the assignment it follows. */
  epoch: number;
  /** Caught up with the primary of this epoch at least once (it stays true after the primary died). */
  inSync: boolean;
  /** False when the RPC failed or timed out: the other fields are then stale or zero. */
  reachable: boolean;
  /**
   * Its copy is quarantined (RepoState.damaged): it holds nothing to promote, and its zero applied seq says nothing
   * about the writes it acknowledged before the damage (a replica whose sync failed at runtime may have been the one
   * other holder of a write): not counted as heard for the quorum check. Its epoch still counts (the assignment it
   * holds is on record).
   */
  damaged?: boolean;
}

export interface FailoverInput {
  repo: string;
  status: RepositoryStatusView;
  reports: readonly ReplicaReport[];
  /** Agents that may not become primary (failed, draining): from detectFailedAgents and the GovcCluster. */
  excluded?: readonly string[];
}

export type DegradedReason =
  | 'NoReplicas'
  | 'NoReachableReplica'
  | 'NoInSyncReplica'
  | 'ReplicasBehindAcknowledged'
  | 'QuorumUnreachable'
  | 'StatusBehindReplicas';

export interface Rejection {
  agent: string;
  why: 'not-a-replica' | 'excluded' | 'no-report' | 'unreachable' | 'damaged' | 'other-epoch' | 'not-in-sync' | 'behind';
}

export type FailoverDecision =
  | {
      decision: 'promote';
      repo: string;
      newPrimary: string;
      newEpoch: number;
      /** The other replicas, sorted: they follow the new primary in the new epoch. */
      replicas: string[];
      appliedSeq: number;
      rejected: Rejection[];
      /** The epoch whose replicas the choice was made among: the recorded one, or the one before (see `previous`). */
      decidedIn: number;
    }
  | { decision: 'degraded'; repo: string; reason: DegradedReason; message: string; rejected: Rejection[] };

/** What failover reads from a Repository's status, with the acknowledgements its write concern required. */
export function statusView(
  s: {
    primary?: string; replicas?: string[]; members?: unknown[]; epoch?: number; inSyncReplicas?: string[];
    previousEpoch?: { epoch?: number; primary?: string; replicas?: string[]; writeConcern?: 'async' | 'quorum' | 'all' };
  },
  writeConcern: 'async' | 'quorum' | 'all',
): RepositoryStatusView {
  const replicas = s.replicas ?? [];
  const requiredAcks = acksFor(writeConcern, s.members?.length || 1 + replicas.length);
  const p = s.previousEpoch;
  const previous: PreviousEpochView | undefined = p?.epoch ? {
    primary: p.primary || null, replicas: p.replicas ?? [], epoch: p.epoch,
    requiredAcks: acksFor(p.writeConcern ?? writeConcern, 1 + (p.replicas ?? []).filter((r) => r !== p.primary).length),
  } : undefined;
  return {
    primary: s.primary || null, replicas, epoch: s.epoch ?? 0, requiredAcks,
    ...(s.inSyncReplicas ? { inSyncReplicas: s.inSyncReplicas } : {}),
    ...(previous ? { previous } : {}),
  };
}

function acksFor(writeConcern: 'async' | 'quorum' | 'all', members: number): number {
  return writeConcern === 'async' ? 1 : writeConcern === 'all' ? members : Math.floor(members / 2) + 1;
}

/**
 * The in-sync, reachable replica of the current epoch with the highest applied seq (ties: the lowest name);
 * the new epoch is always the recorded one + 1. When none can be promoted in the recorded epoch but the reports show
 * that epoch never took effect (epochNeverTookEffect), the same choice among the previous epoch's replicas.
 */
export function chooseNewPrimary(input: FailoverInput): FailoverDecision {
  const current = chooseIn(input, input.status, input.status.epoch);
  const previous = input.status.previous;
  if (current.decision === 'promote' || current.reason === 'StatusBehindReplicas' || !previous) return current;
  if (previous.epoch >= input.status.epoch || !epochNeverTookEffect(input.status, input.reports)) return current;
  const earlier = chooseIn(input, { ...previous }, input.status.epoch);
  return earlier.decision === 'promote' ? earlier : current;
}

/**
 * Replicas that answered holding a copy assigned in an epoch before `status.epoch`. A primary acknowledges a write
 * once `requiredAcks` members of its epoch applied it, and a replica streams only in the epoch it is assigned (epochs
 * only grow on an agent, and the failover's fenced look stops it from ever taking this one), so none of these holds
 * a write acknowledged in this epoch. A replica without a copy proves nothing: it may have lost one.
 */
function olderCopies(status: RepositoryStatusView, replicas: readonly string[], reports: readonly ReplicaReport[]): number {
  return replicas.filter((a) => reports.some((r) => r.agent === a && r.reachable && r.epoch > 0 && r.epoch < status.epoch)).length;
}

/**
 * Whether the recorded epoch never took effect for failover's purposes. With replica acknowledgements: fewer replicas
 * than an acknowledgement needs can have held it, so it acknowledged nothing. With async writes the primary alone
 * acknowledges, so nothing is provable; but a write no replica received is the window async accepts (as in any async
 * failover): enough that every replica heard holds an older epoch.
 */
export function epochNeverTookEffect(status: RepositoryStatusView, reports: readonly ReplicaReport[]): boolean {
  const holders = (status.requiredAcks ?? 1) - 1;
  const replicas = replicasOf(status);
  const older = olderCopies(status, replicas, reports);
  if (holders > 0) return replicas.length - older < holders;
  const heard = replicas.filter((a) => reports.some((r) => r.agent === a && r.reachable)).length;
  return older > 0 && older === heard;
}

/** The recorded replicas, once each, without the primary, sorted. */
function replicasOf(status: RepositoryStatusView): string[] {
  return [...new Set(status.replicas)].filter((r) => r !== status.primary).sort(compare);
}

/** The choice among `status`'s replicas; `recorded`: the epoch the Repository status records (the new one is +1). */
function chooseIn(input: FailoverInput, status: RepositoryStatusView, recorded: number): FailoverDecision {
  const { repo } = input;
  const degraded = (reason: DegradedReason, message: string, rejected: Rejection[] = []): FailoverDecision => ({
    decision: 'degraded',
    repo,
    reason,
    message,
    rejected,
  });
  const replicas = replicasOf(status);
  if (replicas.length === 0) return degraded('NoReplicas', `${repo} has no replica to promote`);
  const reports = new Map<string, ReplicaReport>();
  for (const r of input.reports) if (r.reachable) reports.set(r.agent, r);

  // A replica in a newer epoch means someone promoted after our record was written: re-read before acting.
  const ahead = [...reports.values()].filter((r) => r.epoch > recorded).sort((a, b) => compare(a.agent, b.agent));
  if (ahead.length > 0) {
    return degraded(
      'StatusBehindReplicas',
      `${ahead[0].agent} follows epoch ${ahead[0].epoch}, status records ${recorded}; re-read the status`,
    );
  }

  const excluded = new Set(input.excluded ?? []);
  // With replica acknowledgements (quorum, all) the quorum check and the floor below already make the chosen copy
  // hold every acknowledged write, and the replica's own "caught up in this epoch" makes its history the primary's:
  // the recorded set (which lags, and shrinks each time a stream reconnects under load) is not needed then. Without
  // them (async) it is the only hint which copy was close to the primary: required.
  const isr = status.inSyncReplicas && (status.requiredAcks ?? 1) <= 1 ? new Set(status.inSyncReplicas) : undefined;
  const sameEpoch = replicas.map((a) => reports.get(a)).filter((r): r is ReplicaReport => r?.epoch === status.epoch && !r.damaged);
  // Everything a same-epoch replica has applied came from the old primary's log: promoting a copy behind it
  // would drop writes that may have been acknowledged.
  const floor = Math.max(status.ackedSeq ?? 0, ...sameEpoch.map((r) => r.appliedSeq));

  const rejected: Rejection[] = [];
  const candidates: ReplicaReport[] = [];
  for (const agent of replicas) {
    const report = reports.get(agent);
    const why: Rejection['why'] | undefined = excluded.has(agent)
      ? 'excluded'
      : !input.reports.some((r) => r.agent === agent)
        ? 'no-report'
        : !report
          ? 'unreachable'
          : report.damaged
            ? 'damaged'
            : report.epoch !== status.epoch
              ? 'other-epoch'
              : !report.inSync || (isr !== undefined && !isr.has(agent))
                ? 'not-in-sync'
                : report.appliedSeq < floor
                  ? 'behind'
                  : undefined;
    if (why) rejected.push({ agent, why });
    else candidates.push(report!);
  }
  for (const r of input.reports) {
    if (!replicas.includes(r.agent) && r.agent !== status.primary) rejected.push({ agent: r.agent, why: 'not-a-replica' });
  }

  if (candidates.length === 0) {
    const reachable = replicas.filter((a) => reports.has(a) && !excluded.has(a));
    if (reachable.length === 0) return degraded('NoReachableReplica', `no replica of ${repo} answers`, rejected);
    if (rejected.some((r) => r.why === 'behind')) {
      return degraded(
        'ReplicasBehindAcknowledged',
        `every in-sync replica of ${repo} is behind seq ${floor}, which may have been acknowledged`,
        rejected,
      );
    }
    return degraded('NoInSyncReplica', `no reachable replica of ${repo} is in sync in epoch ${status.epoch}`, rejected);
  }

  const quorum = quorumCheck(status, replicas.length - olderCopies(status, replicas, input.reports), sameEpoch.length);
  if (quorum) return degraded('QuorumUnreachable', `${repo}: ${quorum}`, rejected);

  candidates.sort((a, b) => b.appliedSeq - a.appliedSeq || compare(a.agent, b.agent));
  const chosen = candidates[0];
  return {
    decision: 'promote',
    repo,
    newPrimary: chosen.agent,
    newEpoch: recorded + 1,
    replicas: replicas.filter((a) => a !== chosen.agent),
    appliedSeq: chosen.appliedSeq,
    rejected,
    decidedIn: status.epoch,
  };
}

/** First retry of a blocked failover: most blocks clear within moments (a report lost under load, a status behind). */
const BLOCKED_RETRY_BASE_MS = 200;
const BLOCKED_RETRY_MAX_MS = 5_000;

/** When to try a blocked failover again, after `attempts` blocked in a row (1 = the first): doubling up to 5 s. */
export function blockedRetryMs(attempts: number): number {
  return Math.min(BLOCKED_RETRY_MAX_MS, BLOCKED_RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 16)));
}

/**
 * The in-sync replicas to record: what the primary reported (`observed`), or, when it did not report (dead, hung),
 * the set recorded in this epoch before: silence is no evidence that a replica fell behind, and failover needs the
 * record to know which replicas were in sync. A new epoch starts with none.
 */
export function keptInSync(previous: { epoch?: number; inSyncReplicas?: string[] } | undefined, epoch: number, observed: string[] | undefined): string[] {
  if (observed !== undefined) return observed;
  return previous?.epoch === epoch ? [...(previous.inSyncReplicas ?? [])] : [];
}

/**
 * An acknowledged write is on `requiredAcks - 1` replicas besides the primary, among the `possible` ones (replicas
 * not proven to hold an older epoch only). Hearing from more than `possible - (requiredAcks - 1)` of them guarantees
 * one of those is heard, so the highest seq heard covers every acknowledged write. Async writes (one ack) can never be
 * covered: that loss is what async accepts.
 */
function quorumCheck(status: RepositoryStatusView, possible: number, heard: number): string | undefined {
  const holders = (status.requiredAcks ?? 1) - 1;
  if (holders <= 0) return undefined;
  const needed = possible - holders + 1;
  return heard >= needed ? undefined : `heard from ${heard} of the ${possible} replicas that may hold this epoch's writes, need ${needed}`;
}

export interface HealthProbe {
  /** Milliseconds since the epoch (passed in: this module reads no clock). */
  at: number;
  ok: boolean;
}

export interface AgentHealth {
  name: string;
  /** The agent's Pod; absent when it no longer exists. */
  pod?: {
    phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
    ready: boolean;
    /** Set once the Pod is being deleted. */
    deleting?: boolean;
  };
  /** The operator's own health checks, any order. */
  probes: readonly HealthProbe[];
}

export interface FailurePolicy {
  /** Consecutive failed checks that make an agent failed (Praefect uses 10 at 1 s; we aim lower). */
  failureThreshold: number;
  intervalMs: number;
}

export type FailureReason = 'PodMissing' | 'PodTerminated' | 'PodDeleting' | 'HealthCheckFailures' | 'HealthCheckStale';

export interface FailureVerdicts {
  failed: { agent: string; reason: FailureReason; message: string }[];
  /** Failing checks below the threshold, or a Pod not ready while checks pass: watch, do not act. */
  suspect: string[];
  healthy: string[];
  /** Never checked yet (e.g. just after an operator restart) and Pod not gone: no verdict. */
  unknown: string[];
}

/** Each agent's verdict at `now`; every list sorted by name. */
export function detectFailedAgents(agents: readonly AgentHealth[], now: number, policy: FailurePolicy): FailureVerdicts {
  const out: FailureVerdicts = { failed: [], suspect: [], healthy: [], unknown: [] };
  const threshold = Math.max(1, policy.failureThreshold);
  for (const agent of [...agents].sort((a, b) => compare(a.name, b.name))) {
    const fail = (reason: FailureReason, message: string) => out.failed.push({ agent: agent.name, reason, message });
    const pod = agent.pod;
    if (!pod) {
      fail('PodMissing', 'the agent Pod no longer exists');
      continue;
    }
    if (pod.phase === 'Failed' || pod.phase === 'Succeeded') {
      fail('PodTerminated', `the agent Pod is ${pod.phase}`);
      continue;
    }
    if (pod.deleting) {
      fail('PodDeleting', 'the agent Pod is being deleted');
      continue;
    }
    const probes = agent.probes.filter((p) => p.at <= now).sort((a, b) => a.at - b.at);
    if (probes.length === 0) {
      out.unknown.push(agent.name);
      continue;
    }
    let failures = 0;
    for (let i = probes.length - 1; i >= 0 && !probes[i].ok; i--) failures++;
    const last = probes[probes.length - 1].at;
    // Checks that stopped being recorded are as bad as failed ones: that many intervals without a result.
    const silentFor = now - last;
    if (failures >= threshold) {
      fail('HealthCheckFailures', `${failures} consecutive failed health checks (threshold ${threshold})`);
    } else if (silentFor >= threshold * policy.intervalMs) {
      fail('HealthCheckStale', `no health check result for ${silentFor} ms (${threshold} × ${policy.intervalMs} ms)`);
    } else if (failures > 0 || !pod.ready || pod.phase !== 'Running') {
      out.suspect.push(agent.name);
    } else {
      out.healthy.push(agent.name);
    }
  }
  return out;
}

/**
 * The health-check failures to act on. When two or more agents fail together (in this look, or `recent`ly: within one
 * failure window) and none is left healthy, the likelier cause is on the observer's side (the operator starved of
 * CPU, its network down): act on nothing new (`previous` stands) until some agent answers again, which tells real
 * failures from the observer's. Holding back costs nothing when every agent really is down: no copy can be promoted.
 */
export function trustedFailures(
  previous: ReadonlySet<string>, failed: ReadonlySet<string>, agents: number, recent: ReadonlySet<string> = new Set(),
): ReadonlySet<string> {
  let together = 0;
  for (const a of failed) if (!previous.has(a) || recent.has(a)) together++;
  return together >= 2 && failed.size >= agents ? previous : failed;
}
