// Kubernetes status conditions (metav1.Condition) and the ones govc reports: Scheduled/Ready/Replicated on a
// Repository, Ready/Progressing/Degraded and a phase on a GovcCluster, each computed from observed facts.

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, machine-readable. */
  reason: string;
  message: string;
  /** RFC 3339, seconds precision, as the API server writes metav1.Time. */
  lastTransitionTime: string;
  observedGeneration?: number;
}

export type ConditionUpdate = Pick<Condition, 'type' | 'status' | 'reason' | 'message'>;

/** A clock reading passed in: a Date, milliseconds since the epoch, or an RFC 3339 string. */
export type Instant = Date | number | string;

export function rfc3339(now: Instant): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * meta.SetStatusCondition: adds the condition or updates it in place; lastTransitionTime changes only when the
 * status flips; reason, message and observedGeneration always take the new values. Pure: returns the same array
 * when nothing changed (so `result !== conditions` says whether the status needs writing), else a new one.
 */
export function setCondition(
  conditions: readonly Condition[],
  update: ConditionUpdate,
  now: Instant,
  observedGeneration?: number,
): Condition[] {
  const at = conditions.findIndex((c) => c.type === update.type);
  const old = at >= 0 ? conditions[at] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime: old && old.status === update.status ? old.lastTransitionTime : rfc3339(now),
    ...(observedGeneration !== undefined
      ? { observedGeneration }
      : old?.observedGeneration !== undefined
        ? { observedGeneration: old.observedGeneration }
        : {}),
  };
  if (old && sameCondition(old, next)) return conditions as Condition[];
  return at >= 0 ? conditions.map((c, i) => (i === at ? next : c)) : [...conditions, next];
}

function sameCondition(a: Condition, b: Condition): boolean {
  return (
    a.status === b.status &&
    a.reason === b.reason &&
    a.message === b.message &&
    a.lastTransitionTime === b.lastTransitionTime &&
    a.observedGeneration === b.observedGeneration
  );
}

export function findCondition(conditions: readonly Condition[], type: string): Condition | undefined {
  return conditions.find((c) => c.type === type);
}

export function isTrue(conditions: readonly Condition[], type: string): boolean {
  return findCondition(conditions, type)?.status === 'True';
}

export function isFalse(conditions: readonly Condition[], type: string): boolean {
  return findCondition(conditions, type)?.status === 'False';
}

/** What the controller observed about one Repository. */
export interface RepositoryFacts {
  generation: number;
  replicationFactor: number;
  primary: string | null;
  /** Copies placed, the primary included. */
  placedCopies: number;
  /** Copies in sync with the primary, the primary included; undefined until the primary reports. */
  inSyncCopies?: number;
  /** The primary answers and serves writes in the current epoch. */
  primaryServing: boolean;
  /** Set while the primary is being replaced; `blocked` when failover.ts returned "degraded". */
  failover?: { blocked?: { reason: string; message: string } };
  /** Replicas whose copy their agent quarantined (damaged-copies.ts): they re-seed from the primary. */
  damagedReplicas?: ReadonlyArray<{ agent: string; damage: string; since: string }>;
}

export function repositoryConditions(previous: readonly Condition[], f: RepositoryFacts, now: Instant): Condition[] {
  const set = (c: Condition[], u: ConditionUpdate) => setCondition(c, u, now, f.generation);
  let c = previous as Condition[];
  c = set(
    c,
    f.placedCopies === 0
      ? { type: 'Scheduled', status: 'False', reason: 'NoEligibleAgents', message: 'no eligible agent to hold a copy' }
      : f.placedCopies < f.replicationFactor
        ? {
            type: 'Scheduled',
            status: 'True',
            reason: 'PartiallyPlaced',
            message: `${f.placedCopies} of ${f.replicationFactor} copies placed: not enough eligible agents`,
          }
        : { type: 'Scheduled', status: 'True', reason: 'Placed', message: `${f.placedCopies} copies placed` },
  );
  c = set(c, readiness(f));
  const inSync = f.inSyncCopies;
  const damaged = f.damagedReplicas ?? [];
  c = set(
    c,
    inSync === undefined
      ? { type: 'Replicated', status: 'Unknown', reason: 'NotReported', message: 'no replication state reported yet' }
      : inSync >= f.replicationFactor
        ? { type: 'Replicated', status: 'True', reason: 'FullyReplicated', message: `${inSync} copies in sync` }
        : damaged.length > 0
          ? {
              type: 'Replicated',
              status: 'False',
              reason: 'CopyDamaged',
              message: `${inSync} of ${f.replicationFactor} copies in sync; damaged, re-seeding from the primary: ${damaged.map((d) => `${d.agent} (${d.damage}; since ${d.since})`).join(', ')}`,
            }
        : f.placedCopies < f.replicationFactor
          ? {
              type: 'Replicated',
              status: 'False',
              reason: 'UnderReplicated',
              message: `${inSync} of ${f.replicationFactor} copies in sync; only ${f.placedCopies} placed`,
            }
          : {
              type: 'Replicated',
              status: 'False',
              reason: 'CatchingUp',
              message: `${inSync} of ${f.replicationFactor} copies in sync`,
            },
  );
  return c;
}

function readiness(f: RepositoryFacts): ConditionUpdate {
  const type = 'Ready';
  if (f.failover?.blocked) return { type, status: 'False', ...f.failover.blocked };
  if (f.failover) return { type, status: 'False', reason: 'FailoverInProgress', message: 'promoting a replica' };
  if (f.primary === null) return { type, status: 'False', reason: 'NoPrimary', message: 'no primary assigned' };
  if (!f.primaryServing) {
    return { type, status: 'False', reason: 'PrimaryUnavailable', message: `primary ${f.primary} is not serving` };
  }
  return { type, status: 'True', reason: 'PrimaryServing', message: `primary ${f.primary} is serving` };
}

/** What the controller observed about one GovcCluster. */
export interface ClusterFacts {
  generation: number;
  desiredAgents: number;
  /** Agent Pods that exist. */
  agents: number;
  readyAgents: number;
  failedAgents: number;
  repositories: number;
  readyRepositories: number;
  /** Repositories whose failover is blocked (no promotable copy). */
  degradedRepositories: number;
  underReplicatedRepositories: number;
  /** Repositories with a copy in motion: no primary yet, a new replica set still catching up, or a copy on a draining agent. */
  movingRepositories: number;
  /** Agents being drained for removal, and the copies still on them. */
  drainingAgents: readonly string[];
  copiesOnDrainingAgents: number;
}

export type ClusterPhase = 'Pending' | 'Running' | 'Scaling' | 'Rebalancing' | 'Degraded';

export function clusterPhase(
  previous: readonly Condition[],
  f: ClusterFacts,
  now: Instant,
): { phase: ClusterPhase; conditions: Condition[] } {
  const set = (c: Condition[], u: ConditionUpdate) => setCondition(c, u, now, f.generation);
  const scaling = f.agents !== f.desiredAgents || f.readyAgents < f.desiredAgents || f.drainingAgents.length > 0;
  const degraded: ConditionUpdate | undefined =
    f.degradedRepositories > 0
      ? degradedBy('RepositoriesUnavailable', `${f.degradedRepositories} repositories have no promotable copy`)
      : f.failedAgents > 0
        ? degradedBy('AgentsFailed', `${f.failedAgents} agents failed`)
        : f.underReplicatedRepositories > 0
          ? degradedBy('UnderReplicated', `${f.underReplicatedRepositories} repositories have fewer copies than wanted`)
          : undefined;
  let c = previous as Condition[];
  c = set(
    c,
    f.readyAgents < f.desiredAgents
      ? fails('Ready', 'AgentsNotReady', `${f.readyAgents} of ${f.desiredAgents} agents ready`)
      : f.readyRepositories < f.repositories
        ? fails('Ready', 'RepositoriesNotReady', `${f.readyRepositories} of ${f.repositories} repositories ready`)
        : holds('Ready', 'AllReady', `${f.readyAgents} agents and ${f.repositories} repositories ready`),
  );
  c = set(
    c,
    f.drainingAgents.length > 0
      ? holds('Progressing', 'Draining', `${f.agents} agents, ${f.desiredAgents} desired: draining ${f.drainingAgents.join(', ')} (${f.copiesOnDrainingAgents} copies still to move off)`)
      : scaling
        ? holds('Progressing', 'Scaling', `${f.agents} agents (${f.readyAgents} ready), ${f.desiredAgents} desired`)
        : f.movingRepositories > 0
          ? holds('Progressing', 'Rebalancing', `${f.movingRepositories} repositories moving to new copies`)
          : fails('Progressing', 'Stable', 'nothing to do'),
  );
  c = set(c, degraded ?? fails('Degraded', 'AsExpected', 'all repositories available and replicated'));
  const phase: ClusterPhase =
    f.readyAgents === 0 && f.degradedRepositories === 0 && f.desiredAgents > 0
      ? 'Pending'
      : degraded
        ? 'Degraded'
        : scaling
          ? 'Scaling'
          : f.movingRepositories > 0
            ? 'Rebalancing'
            : 'Running';
  return { phase, conditions: c };
}

function holds(type: string, reason: string, message: string): ConditionUpdate {
  return { type, status: 'True', reason, message };
}

function fails(type: string, reason: string, message: string): ConditionUpdate {
  return { type, status: 'False', reason, message };
}

function degradedBy(reason: string, message: string): ConditionUpdate {
  return holds('Degraded', reason, message);
}
