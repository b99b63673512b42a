// The observed part of a Repository's status, as a pure function of what the primary reported: in-sync replicas,
// head of the default branch, conditions (conditions.ts) and the phase.
import type { RepositoryResource, RepositoryResourceStatus } from '../crd/generated-types.js';
import { type Condition, type Instant, findCondition, repositoryConditions } from '../conditions.js';
import type { DamagedCopy } from '../damaged-copies.js';
import type { Member } from './repository-plan.js';

export interface PrimaryReport {
  /** The primary's RepoState, or null when it does not hold the repository / did not answer. */
  epoch: number;
  isPrimary: boolean;
  fenced: boolean;
  appliedSeq: number;
  refs: ReadonlyArray<{ name: string; id: string }>;
  members: ReadonlyArray<{ addr: string; inSync: boolean }>;
}

export interface ObservedInput {
  generation: number;
  previous: RepositoryResourceStatus | undefined;
  members: readonly Member[];
  epoch: number;
  replicationFactor: number;
  defaultBranch: string;
  primary: PrimaryReport | null;
  failoverBlocked?: { reason: string; message: string };
  /** The copies recorded damaged after this look (damaged-copies.ts). */
  damagedCopies?: readonly DamagedCopy[];
  now: Instant;
}

export type ObservedStatus = Pick<
  RepositoryResourceStatus,
  'observedGeneration' | 'phase' | 'inSyncReplicas' | 'head' | 'appliedSeq' | 'conditions' | 'damagedCopies'
>;

export function observedStatus(o: ObservedInput): ObservedStatus {
  const primary = o.members.find((m) => m.role === 'primary');
  const replicas = o.members.filter((m) => m.role === 'replica');
  const byAddr = new Map(replicas.map((m) => [m.address, m.agent]));
  const inSync = (o.primary?.members ?? []).filter((m) => m.inSync && byAddr.has(m.addr)).map((m) => byAddr.get(m.addr)!).sort();
  const serving = o.primary !== null && o.primary.isPrimary && !o.primary.fenced && o.primary.epoch === o.epoch;
  const conditions = repositoryConditions(
    (o.previous?.conditions ?? []) as Condition[],
    {
      generation: o.generation,
      replicationFactor: o.replicationFactor,
      primary: primary?.agent ?? null,
      placedCopies: o.members.length,
      ...(serving ? { inSyncCopies: 1 + inSync.length } : {}),
      primaryServing: serving,
      ...(o.failoverBlocked ? { failover: { blocked: o.failoverBlocked } } : {}),
      damagedReplicas: (o.damagedCopies ?? []).filter((d) => d.role === 'replica'),
    },
    o.now,
  );
  const head = o.primary?.refs.find((r) => r.name === `refs/heads/${o.defaultBranch}`)?.id;
  return {
    observedGeneration: o.generation,
    phase: phaseOf(conditions),
    inSyncReplicas: inSync,
    ...(head ? { head } : {}),
    ...(o.primary ? { appliedSeq: o.primary.appliedSeq } : {}),
    ...(o.damagedCopies?.length ? { damagedCopies: o.damagedCopies.map((d) => ({ ...d })) } : {}),
    conditions,
  };
}

function phaseOf(conditions: readonly Condition[]): NonNullable<RepositoryResourceStatus['phase']> {
  const ready = findCondition(conditions, 'Ready');
  const replicated = findCondition(conditions, 'Replicated');
  const scheduled = findCondition(conditions, 'Scheduled');
  if (scheduled?.status !== 'True') return 'Pending';
  if (ready?.status === 'True') {
    if (replicated?.status === 'True') return 'Ready';
    return replicated?.reason === 'UnderReplicated' ? 'Degraded' : 'Placing';
  }
  return ready?.reason === 'FailoverInProgress' || ready?.reason === 'PrimaryUnavailable' || ready?.reason === 'NoPrimary' ? 'Placing' : 'Degraded';
}

/** How long after a placement its in-between states (replicas still connecting) are not written. */
const PLACING_QUIET_MS = 5_000;

/** Placed moments ago and not yet observed (the status is what recordPlacement wrote). */
export function justPlaced(repo: RepositoryResource, now: number): boolean {
  const s = repo.status;
  if (s?.phase !== 'Placing' || (s.conditions ?? []).some((c) => c.type === 'Ready')) return false;
  const scheduled = (s.conditions ?? []).find((c) => c.type === 'Scheduled' && c.status === 'True');
  return scheduled !== undefined && now - Date.parse(scheduled.lastTransitionTime) < PLACING_QUIET_MS;
}
