// Repository → a primary and replicas on the cluster's agents. Level-triggered: every run re-derives the target from
// the caches, records a changed replica set in status first (new epoch, conditional on resourceVersion: the status
// is the record of truth), then brings the agents to it through the Admin API and reports what they say.
import type { Logger } from 'winston';
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { GovcClusterResource, RepositoryResource, RepositoryResourceStatus } from '../crd/generated-types.js';
import { rfc3339, setCondition, type Condition } from '../conditions.js';
import { type ReplicaReport, blockedRetryMs, chooseNewPrimary, keptInSync, statusView } from '../failover.js';
import type { KubeClients } from '../kube/kube-clients.js';
import type { ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import { type AgentView, agentViews } from './agent-view.js';
import type { Caches } from './caches.js';
import type { PlacementCache } from './placement-cache.js';
import { patchStatus, setFinalizers } from './object-writes.js';
import {
  type AssignmentOutcome, EpochBehindError, ensureAssignments, primaryState, removeCopies, replicaReports, settled,
} from './repository-agents.js';
import { allAddressed, effectiveSettings, type Member, membersOf, nextEpoch } from './repository-plan.js';
import { justPlaced, observedStatus } from './repository-status.js';
import { HANDOVER_POLL_MS, Handovers } from './handover-agents.js';
import { pendingCopies, staleCopies } from '../stale-copies.js';
import { damagedPrimaryBlocked, failoverFromDamagedPrimary } from '../damaged-primary.js';
import { type DamagedCopy, damagedCopies, observeDamage, sameDamage } from '../damaged-copies.js';
import { DamageTracker } from './damage-tracker.js';
import type { TokenSource } from './token-source.js';

export const REPOSITORY_FINALIZER = 'govc.io/repository-cleanup';
const RESYNC_MS = 30_000;
const SOON_MS = 500;
const PLACED_RECHECK_MS = 250;
/** The periodic look at a Ready repository, spread ±20% so thousands placed together do not come back together. */
const resyncMs = (): number => Math.round(RESYNC_MS * (0.8 + 0.4 * Math.random()));

/** How soon a look that found the cache behind this process's own status write tries again. */
const CACHE_BEHIND_MS = 50;
/** A replica damaged this long is not healing by itself (its re-seed keeps failing): a Warning Event, slower looks. */
const RESEED_STALLED_MS = 120_000;
/** How often a repository with a copy damaged for a while is looked at (its re-seed, or a restore by hand). */
const DAMAGED_LOOK_MS = 5_000;
const DAMAGED_LOOK_AFTER_MS = 10_000;

/** What this process last wrote to a Repository: its uid, the epoch recorded, the resourceVersion it got back. */
export interface OwnWrite {
  uid: string;
  epoch: number;
  resourceVersion?: string;
}

/**
 * Whether the cached object is older than this process's own last write to that same object: its status records an
 * older epoch (acting on it could assign a superseded epoch), or its resourceVersion is older (a write based on it
 * would only meet a conflict). resourceVersions are opaque; only integers (etcd's) are compared.
 */
export function cacheBehind(
  cached: { metadata: { uid?: string; resourceVersion?: string }; status?: { epoch?: number } }, written: OwnWrite | undefined,
): boolean {
  if (written === undefined || written.uid !== (cached.metadata.uid ?? '')) return false;
  if ((cached.status?.epoch ?? 0) < written.epoch) return true;
  const a = cached.metadata.resourceVersion ?? '';
  const b = written.resourceVersion ?? '';
  return /^\d+$/.test(a) && /^\d+$/.test(b) && BigInt(a) < BigInt(b);
}

export class RepositoryReconciler {
  /** Per repository key: failover attempts blocked in a row (the next retry backs off from it). */
  private readonly blocked = new Map<string, number>();
  private readonly handovers = new Handovers();
  /** Per repository key: copies dropped from its replica set whose agent was not ready to remove them. */
  private readonly unremoved = new Map<string, Member[]>();
  /**
   * Per repository key: this process's last write. The informer cache can lag behind it; a reconcile acting on the
   * older status would assign the agents an epoch already superseded (e.g. confirm a restarted old primary right
   * after a failover away from it: with async writes it would acknowledge writes that the new primary never sees),
   * or its next write would meet a conflict and start over. Such a look waits for the cache instead.
   */
  private readonly written = new Map<string, OwnWrite>();
  /**
   * Per repository key: the primary whose copy a look found damaged (quarantined). The next reconciles fail it over
   * (failoverFromDamagedPrimary) and keep it as a replica, which re-seeds itself; or, when nothing can replace it, say
   * so (Ready False, CopyDamaged) until its agent reports the copy healthy again. Re-learnt from the agent, so a
   * restarted operator finds it again on its first look.
   */
  private readonly damage = new DamageTracker();

  constructor(
    private readonly clients: KubeClients,
    private readonly caches: Caches,
    private readonly tokens: TokenSource,
    private readonly admin: AgentAdmin,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly placements: PlacementCache,
    /** Agents the operator's health checks found failed (agent-health.ts): not ready, whatever their Pod says. */
    private readonly failedAgents: (namespace: string, cluster: string) => ReadonlySet<string> = () => new Set(),
  ) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    const [namespace, name] = key.split('/');
    let repo = this.caches.repository(namespace, name);
    if (!repo) {
      this.blocked.delete(key);
      this.unremoved.delete(key);
      this.written.delete(key);
      this.damage.forget(key);
      return {};
    }
    if (cacheBehind(repo, this.written.get(key))) return { requeueAfterMs: CACHE_BEHIND_MS };
    const cluster = this.caches.cluster(namespace, repo.spec.clusterRef);
    const agents = cluster
      ? agentViews(this.caches.clusterPods(namespace, cluster.metadata.name!), this.caches.zoneOfNode, this.failedAgents(namespace, cluster.metadata.name!))
      : [];
    const token = cluster ? await this.tokens.token(cluster) : undefined;
    if (repo.metadata.deletionTimestamp) return this.finalize(repo, agents, token);
    if (!(repo.metadata.finalizers ?? []).includes(REPOSITORY_FINALIZER)) {
      // Go on with the updated object rather than wait for its update event.
      repo = this.wrote(await setFinalizers<RepositoryResource>(this.clients.rest, this.target(repo), [...(repo.metadata.finalizers ?? []), REPOSITORY_FINALIZER]));
    }
    if (!cluster) return this.waiting(repo, 'ClusterNotFound', `GovcCluster ${repo.spec.clusterRef} not found`, 10_000);
    if (!token) return this.waiting(repo, 'TokenMissing', 'the cluster\'s admin token Secret does not exist yet', 2_000);
    const settings = effectiveSettings(repo, cluster);
    const ready = agents.filter((a) => a.ready);
    if (!repo.status?.primary && ready.length < Math.min(settings.replicationFactor, cluster.spec.agents)) {
      return this.waiting(repo, 'WaitingForAgents', `${ready.length} of ${cluster.spec.agents} agents ready`, 2_000);
    }

    const placed = await this.placements.decide(repo, cluster, agents);
    const damaged = await this.damage.current(key, name, repo.status?.primary, agents, this.admin, token, Date.now());
    const decision = (damaged !== undefined ? failoverFromDamagedPrimary(placed, damaged.agent, repo.status?.replicas ?? []) : undefined) ?? placed;
    let primary = decision.primary;
    let replicas = decision.replicas;
    let failover: RepositoryResourceStatus['lastFailover'] | undefined;
    // Its primary's agent leaves but answers: a planned hand-over (handover.ts); the failover choice when it cannot be.
    if (primary === null && decision.primaryAction === 'handoff') {
      const plan = await this.handovers.plan(this.admin, token, key, agents, repo.status ?? {}, decision, settings.writeConcern);
      this.log.debug('planned hand-over', { ...plan, repo: key });
      if (plan.decision === 'wait') return { requeueAfterMs: HANDOVER_POLL_MS };
      if (plan.decision === 'promote') {
        primary = plan.newPrimary;
        replicas = decision.replicas.filter((r) => r !== primary);
        failover = { time: rfc3339(Date.now()), from: decision.previousPrimary ?? '', to: primary, reason: 'handoff' };
      } else if ((plan.decision === 'keep' || plan.reason === 'NoCandidate') && decision.previousPrimary) {
        // Nothing can take over yet (a single copy, replicas behind; with async, none applied the old primary's final
        // seq): the old primary keeps serving with the copies placement wants as replicas (at a new epoch when it was
        // fenced: EpochBehindError moves the record past the fence); a fresh placement asks for the hand-over again.
        primary = decision.previousPrimary;
        replicas = decision.replicas.filter((r) => r !== primary);
        this.placements.changed(namespace, cluster.metadata.name!);
      }
    }
    if (primary === null) {
      const s = repo.status ?? {};
      const decide = (reports: ReplicaReport[]) => chooseNewPrimary({
        repo: name, status: statusView(s, settings.writeConcern), reports, excluded: agents.filter((a) => !a.ready).map((a) => a.name),
      });
      // A first look without side effects; only a failover that can go ahead fences the replicas at the epoch it
      // records, and decides again on their final positions (see replicaReports).
      // The previous epoch's replicas too: they decide when the recorded epoch never took effect (failover.ts).
      const asked = [...new Set([...decision.failoverCandidates, ...(s.previousEpoch?.replicas ?? [])])].filter((a) => a !== decision.previousPrimary);
      let choice = decide(await replicaReports(this.admin, token, agents, name, asked));
      if (choice.decision === 'promote') choice = decide(await replicaReports(this.admin, token, agents, name, asked, choice.newEpoch));
      if (choice.decision === 'degraded') {
        const attempts = (this.blocked.get(key) ?? 0) + 1;
        this.blocked.set(key, attempts);
        // A damaged primary nothing can replace: the Repository says which copy and why.
        const copyDamaged = damaged !== undefined && damaged.agent === decision.previousPrimary;
        const blocked = copyDamaged ? damagedPrimaryBlocked(damaged.agent, damaged.damage, (s.replicas ?? []).length, choice) : { reason: choice.reason, message: choice.message };
        // Retries come quickly now: an Event for the first blocked attempt and every tenth, a log line for each.
        if (attempts === 1 || attempts % 10 === 0) this.events.warning(this.ref(repo), 'FailoverBlocked', blocked.message);
        this.log.warn('failover blocked', { repo: key, attempt: attempts, reason: choice.reason, message: blocked.message, rejected: choice.rejected });
        const members = repo.status?.members ?? [];
        const damagedNow = damagedCopies(repo.status?.damagedCopies, members, new Map(copyDamaged ? [[damaged.agent, damaged.damage]] : []), rfc3339(Date.now()));
        await this.writeObserved(repo, members, repo.status?.epoch ?? 0, settings, null, blocked, false, damagedNow);
        return { requeueAfterMs: blockedRetryMs(attempts) };
      }
      if (choice.decidedIn !== s.epoch) this.log.info('failover decided on the previous epoch', { repo: key, epoch: s.epoch, decidedIn: choice.decidedIn, newPrimary: choice.newPrimary });
      primary = choice.newPrimary;
      replicas = decision.replicas.filter((r) => r !== primary);
      const fromDamaged = damaged !== undefined && damaged.agent === decision.previousPrimary;
      failover = { time: rfc3339(Date.now()), from: decision.previousPrimary ?? s.primary ?? '', to: primary, reason: fromDamaged ? 'damaged' : decision.primaryAction };
    }
    this.blocked.delete(key);
    if (primary === null) return this.waiting(repo, 'NoEligibleAgents', 'no eligible agent to hold a copy', 5_000);

    const members = membersOf(primary, replicas, agents);
    if (!allAddressed(members)) return { requeueAfterMs: SOON_MS };
    let current = repo;
    let epoch = nextEpoch(repo.status, members);
    const fresh = epoch !== repo.status?.epoch;
    if (fresh) {
      current = await this.recordPlacement(repo, cluster, members, epoch, settings, failover);
      this.placements.recorded(namespace, cluster.metadata.name!, name, { primary, replicas });
    }

    // Steady state costs one look: the primary's report covers its replicas when they are in sync with it.
    const target = { repo: name, epoch, members, ...settings };
    let state = fresh ? null : await primaryState(this.admin, token, members[0], name);
    if (state?.damaged) return this.primaryDamaged(key, repo, members[0].agent, state.damage);
    let outcome: AssignmentOutcome = { assigned: [], unreachable: [], states: new Map() };
    if (fresh || !settled(state, agents, target)) {
      try {
        outcome = await ensureAssignments(this.admin, token, agents, target, fresh, fresh ? undefined : state);
      } catch (err) {
        if (!(err instanceof EpochBehindError)) throw err;
        // The agents saw a later epoch than our record (e.g. a status write was lost): move past it.
        epoch = err.agentEpoch + 1;
        await this.recordPlacement(current, cluster, members, epoch, settings, undefined);
        return { requeueAfterMs: 0 };
      }
      if (outcome.primaryState?.damaged) return this.primaryDamaged(key, repo, members[0].agent, outcome.primaryState.damage);
      if (outcome.assigned.length > 0) {
        this.log.debug('assigned', { repo: key, epoch, agents: outcome.assigned });
        state = outcome.primaryState ?? await primaryState(this.admin, token, members[0], name);
        if (state?.damaged) return this.primaryDamaged(key, repo, members[0].agent, state.damage);
      }
    }
    // Copies dropped while their agent was not ready (a health-check flap) are not in the new status: remembered
    // here and removed once it is (its Pod turning Ready requeues every repository), else they stay on it for good.
    const dropped = staleCopies(repo.status?.members ?? [], this.unremoved.get(key) ?? [], members);
    if (dropped.length > 0) {
      const removed = await removeCopies(this.admin, token, agents, name, epoch, dropped);
      if (removed.length > 0) this.events.normal(this.ref(repo), 'CopiesRemoved', `removed from ${removed.join(', ')}`);
    }
    const unremoved = pendingCopies(dropped, agents);
    if (unremoved.length > 0) this.unremoved.set(key, unremoved);
    else this.unremoved.delete(key);

    // Damaged copies as this look heard of them (the primary's state and in-sync report, the members' states).
    const now = Date.now();
    const damagedNow = damagedCopies(current.status?.damagedCopies, members, observeDamage({ members, primary: state, states: outcome.states }), rfc3339(now));
    for (const agent of this.damage.newlyStalled(key, damagedNow, now, RESEED_STALLED_MS)) {
      const d = damagedNow.find((x) => x.agent === agent)!;
      this.events.warning(this.ref(repo), 'ReseedStalled', `${agent}'s copy has been damaged since ${d.since} (${d.damage}) and has not re-seeded from the primary: see that agent's log`);
    }
    // Just placed: the status already says Placing; write again only once Ready, unless that takes long (one status
    // write per repository instead of one per look while its replicas connect).
    const status = await this.writeObserved(current, members, epoch, settings, state, undefined, fresh || justPlaced(current, now), damagedNow);
    const done = status.phase === 'Ready' && outcome.unreachable.length === 0;
    // A copy damaged for a while is not healing within moments: looked at every few seconds, not twice a second.
    if (!done && damagedNow.some((d) => now - Date.parse(d.since) > DAMAGED_LOOK_AFTER_MS)) return { requeueAfterMs: DAMAGED_LOOK_MS };
    // Replicas of a new placement connect to the primary within moments: look again soon, not at the resync.
    return { requeueAfterMs: done ? resyncMs() : fresh ? PLACED_RECHECK_MS : SOON_MS };
  };

  /** The primary's copy is quarantined: nothing to serve. The next look fails it over (see `damage`). */
  private primaryDamaged(key: string, repo: RepositoryResource, agent: string, damage: string): ReconcileResult {
    if (this.damage.primaryDamaged(key, agent, damage, Date.now())) {
      this.events.warning(this.ref(repo), 'PrimaryDamaged', `the primary's copy, on ${agent}, is damaged: ${damage || 'no reason given'}`);
      this.log.warn('primary copy damaged', { repo: key, agent, damage });
    }
    return { requeueAfterMs: 0 };
  }

  /** Writes a new replica set and epoch (conditional: a concurrent writer makes this fail with 409). */
  private async recordPlacement(
    repo: RepositoryResource, cluster: GovcClusterResource, members: Member[], epoch: number, settings: ReturnType<typeof effectiveSettings>,
    lastFailover: RepositoryResourceStatus['lastFailover'] | undefined,
  ): Promise<RepositoryResource> {
    const primary = members[0].agent;
    const replicas = members.slice(1).map((m) => m.agent);
    const conditions = setCondition(
      (repo.status?.conditions ?? []) as Condition[],
      { type: 'Scheduled', status: 'True', reason: 'Placed', message: `primary ${primary}, replicas ${replicas.join(', ') || 'none'}` },
      Date.now(),
      repo.metadata.generation,
    );
    const before = repo.status;
    const status: RepositoryResourceStatus = {
      primary, replicas, members, epoch,
      // Kept for failover: a primary that dies before this epoch reaches its replicas leaves them in that one.
      ...(before?.epoch ? {
        previousEpoch: { epoch: before.epoch, primary: before.primary ?? '', replicas: before.replicas ?? [], writeConcern: before.writeConcern ?? settings.writeConcern },
      } : {}),
      replicationFactor: settings.replicationFactor, writeConcern: settings.writeConcern,
      phase: 'Placing', conditions,
      ...(lastFailover ? { lastFailover } : {}),
    };
    const updated = this.wrote(await patchStatus<RepositoryResource>(this.clients.rest, this.target(repo), status));
    const reason = lastFailover ? 'Failover' : repo.status?.epoch ? 'Replaced' : 'Placed';
    const where = `primary ${primary}, replicas ${replicas.join(', ') || 'none'}`;
    // First placements are routine and come by the thousand: one Event on the cluster per second names them all.
    if (reason === 'Placed') this.events.batch(this.ref(cluster), 'RepositoriesPlaced', 'placed repositories', `${repo.metadata.name} (${where})`);
    else this.events.normal(this.ref(repo), reason, `epoch ${epoch}: ${where}`);
    return updated;
  }

  private async writeObserved(
    repo: RepositoryResource, members: readonly Member[], epoch: number, settings: ReturnType<typeof effectiveSettings>,
    state: Awaited<ReturnType<typeof primaryState>>, failoverBlocked?: { reason: string; message: string }, onlyIfReady = false,
    damaged: readonly DamagedCopy[] = repo.status?.damagedCopies ?? [],
  ): Promise<RepositoryResourceStatus> {
    const observed = observedStatus({
      generation: repo.metadata.generation ?? 0,
      previous: repo.status,
      members,
      epoch,
      replicationFactor: settings.replicationFactor,
      defaultBranch: settings.defaultBranch,
      primary: state
        ? { epoch: state.epoch, isPrimary: state.role === 1, fenced: state.fenced, appliedSeq: state.appliedSeq, refs: state.refs, members: state.members }
        : null,
      ...(failoverBlocked ? { failoverBlocked } : {}),
      damagedCopies: damaged,
      now: Date.now(),
    });
    // No report from the primary is no news about its replicas: keep the in-sync set it last reported in this epoch
    // (failover requires a candidate in it; erasing it would block every failover after one failed look).
    observed.inSyncReplicas = keptInSync(repo.status, epoch, state ? observed.inSyncReplicas : undefined);
    const next: RepositoryResourceStatus = { ...repo.status, ...observed };
    // A healed copy leaves the list; the last one takes the field with it (null deletes it in a merge patch).
    const cleared = !observed.damagedCopies && (repo.status?.damagedCopies?.length ?? 0) > 0;
    if (cleared) delete next.damagedCopies;
    const damageChanged = !sameDamage(repo.status?.damagedCopies, next.damagedCopies);
    if (JSON.stringify(next) === JSON.stringify(repo.status) || (onlyIfReady && next.phase !== 'Ready' && !damageChanged)) return next;
    this.wrote(await patchStatus<RepositoryResource>(this.clients.rest, this.target(repo), cleared ? { ...observed, damagedCopies: null } : observed));
    return next;
  }

  private async waiting(repo: RepositoryResource, reason: string, message: string, retryMs: number): Promise<ReconcileResult> {
    const conditions = setCondition(
      (repo.status?.conditions ?? []) as Condition[],
      { type: 'Scheduled', status: 'False', reason, message },
      Date.now(),
      repo.metadata.generation,
    );
    const phase = repo.status?.primary ? repo.status.phase ?? 'Degraded' : 'Pending';
    if (conditions !== repo.status?.conditions || repo.status?.phase !== phase) {
      this.wrote(await patchStatus<RepositoryResource>(this.clients.rest, this.target(repo), { conditions, phase, observedGeneration: repo.metadata.generation }));
    }
    return { requeueAfterMs: retryMs };
  }

  private async finalize(repo: RepositoryResource, agents: AgentView[], token: string | undefined): Promise<ReconcileResult> {
    if (!(repo.metadata.finalizers ?? []).includes(REPOSITORY_FINALIZER)) return {};
    const members = repo.status?.members ?? [];
    if (repo.spec.deletionPolicy !== 'Retain' && token && members.length > 0) {
      const removed = await removeCopies(this.admin, token, agents, repo.metadata.name!, repo.status?.epoch ?? 0, members);
      this.log.info('repository removed from agents', { repo: `${repo.metadata.namespace}/${repo.metadata.name}`, agents: removed });
    }
    await setFinalizers(this.clients.rest, this.target(repo), (repo.metadata.finalizers ?? []).filter((f) => f !== REPOSITORY_FINALIZER));
    return {};
  }

  /** Remembers a write's result (see `written`); returns it. */
  private wrote(updated: RepositoryResource): RepositoryResource {
    const key = `${updated.metadata.namespace}/${updated.metadata.name}`;
    const before = this.written.get(key);
    const epoch = Math.max(updated.status?.epoch ?? 0, before !== undefined && before.uid === updated.metadata.uid ? before.epoch : 0);
    this.written.set(key, { uid: updated.metadata.uid ?? '', epoch, resourceVersion: updated.metadata.resourceVersion });
    return updated;
  }

  private target(repo: RepositoryResource) {
    return { plural: 'repositories' as const, namespace: repo.metadata.namespace!, name: repo.metadata.name!, resourceVersion: repo.metadata.resourceVersion };
  }

  private ref(o: RepositoryResource | GovcClusterResource) {
    return { apiVersion: o.apiVersion, kind: o.kind, metadata: o.metadata };
  }
}
