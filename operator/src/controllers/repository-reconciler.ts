// Repository → a primary and replicas on the cluster's agents. Level-triggered: every run re-derives the target from
// the caches, records a changed replica set in status first (new epoch, conditional on resourceVersion: the status
// is the record of truth), then brings the agents to it through the Admin API and reports what they say.
import type { Logger } from 'winston';
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { RepositoryResource, RepositoryResourceStatus } from '../crd/generated-types.js';
import { rfc3339, setCondition, type Condition } from '../conditions.js';
import { chooseNewPrimary } from '../failover.js';
import type { KubeClients } from '../kube/kube-clients.js';
import type { ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import { type AgentView, agentViews } from './agent-view.js';
import type { Caches } from './caches.js';
import type { PlacementCache } from './placement-cache.js';
import { patchStatus, setFinalizers } from './object-writes.js';
import { EpochBehindError, ensureAssignments, primaryState, removeCopies, replicaReports } from './repository-agents.js';
import { allAddressed, effectiveSettings, type Member, membersOf, nextEpoch } from './repository-plan.js';
import { observedStatus } from './repository-status.js';
import type { TokenSource } from './token-source.js';

export const REPOSITORY_FINALIZER = 'govc.io/repository-cleanup';
const RESYNC_MS = 15_000;
const SOON_MS = 500;

export class RepositoryReconciler {
  constructor(
    private readonly clients: KubeClients,
    private readonly caches: Caches,
    private readonly tokens: TokenSource,
    private readonly admin: AgentAdmin,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly placements: PlacementCache,
  ) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    const [namespace, name] = key.split('/');
    let repo = this.caches.repository(namespace, name);
    if (!repo) return {};
    const cluster = this.caches.cluster(namespace, repo.spec.clusterRef);
    const agents = cluster ? agentViews(this.caches.clusterPods(namespace, cluster.metadata.name!), this.caches.zoneOfNode) : [];
    const token = cluster ? await this.tokens.token(cluster) : undefined;
    if (repo.metadata.deletionTimestamp) return this.finalize(repo, agents, token);
    if (!(repo.metadata.finalizers ?? []).includes(REPOSITORY_FINALIZER)) {
      // Go on with the updated object rather than wait for its update event.
      repo = await setFinalizers<RepositoryResource>(this.clients.custom, this.target(repo), [...(repo.metadata.finalizers ?? []), REPOSITORY_FINALIZER]);
    }
    if (!cluster) return this.waiting(repo, 'ClusterNotFound', `GovcCluster ${repo.spec.clusterRef} not found`, 10_000);
    if (!token) return this.waiting(repo, 'TokenMissing', 'the cluster\'s admin token Secret does not exist yet', 2_000);
    const settings = effectiveSettings(repo, cluster);
    const ready = agents.filter((a) => a.ready);
    if (!repo.status?.primary && ready.length < Math.min(settings.replicationFactor, cluster.spec.agents)) {
      return this.waiting(repo, 'WaitingForAgents', `${ready.length} of ${cluster.spec.agents} agents ready`, 2_000);
    }

    const decision = await this.placements.decide(repo, cluster, agents);
    let primary = decision.primary;
    let replicas = decision.replicas;
    let failover: RepositoryResourceStatus['lastFailover'] | undefined;
    if (primary === null) {
      const reports = await replicaReports(this.admin, token, agents, name, decision.failoverCandidates);
      const s = repo.status ?? {};
      const choice = chooseNewPrimary({
        repo: name,
        status: { primary: s.primary ?? null, replicas: s.replicas ?? [], epoch: s.epoch ?? 0, ...(s.inSyncReplicas ? { inSyncReplicas: s.inSyncReplicas } : {}) },
        reports,
        excluded: agents.filter((a) => !a.ready).map((a) => a.name),
      });
      if (choice.decision === 'degraded') {
        this.events.warning(this.ref(repo), 'FailoverBlocked', choice.message);
        await this.writeObserved(repo, repo.status?.members ?? [], repo.status?.epoch ?? 0, settings, null, { reason: choice.reason, message: choice.message });
        return { requeueAfterMs: 5_000 };
      }
      primary = choice.newPrimary;
      replicas = decision.replicas.filter((r) => r !== primary);
      failover = { time: rfc3339(Date.now()), from: decision.previousPrimary ?? s.primary ?? '', to: primary, reason: decision.primaryAction };
    }
    if (primary === null) return this.waiting(repo, 'NoEligibleAgents', 'no eligible agent to hold a copy', 5_000);

    const members = membersOf(primary, replicas, agents);
    if (!allAddressed(members)) return { requeueAfterMs: SOON_MS };
    let current = repo;
    let epoch = nextEpoch(repo.status, members);
    const fresh = epoch !== repo.status?.epoch;
    if (fresh) {
      current = await this.recordPlacement(repo, members, epoch, settings, failover);
      this.placements.recorded(namespace, cluster.metadata.name!, name, { primary, replicas });
    }

    let outcome;
    try {
      outcome = await ensureAssignments(this.admin, token, agents, { repo: name, epoch, members, ...settings }, fresh);
    } catch (err) {
      if (!(err instanceof EpochBehindError)) throw err;
      // The agents saw a later epoch than our record (e.g. a status write was lost): move past it.
      epoch = err.agentEpoch + 1;
      await this.recordPlacement(current, members, epoch, settings, undefined);
      return { requeueAfterMs: 0 };
    }
    if (outcome.assigned.length > 0) this.log.debug('assigned', { repo: key, epoch, agents: outcome.assigned });
    const dropped = (repo.status?.members ?? []).filter((m) => !members.some((n) => n.agent === m.agent));
    if (dropped.length > 0) {
      const removed = await removeCopies(this.admin, token, agents, name, epoch, dropped);
      if (removed.length > 0) this.events.normal(this.ref(repo), 'CopiesRemoved', `removed from ${removed.join(', ')}`);
    }

    const state = await primaryState(this.admin, token, members[0], name);
    // Just placed: the status already says Placing; write again only once Ready (one status write fewer per repository).
    const status = await this.writeObserved(current, members, epoch, settings, state, undefined, fresh);
    const done = status.phase === 'Ready' && outcome.unreachable.length === 0;
    return { requeueAfterMs: done ? RESYNC_MS : SOON_MS };
  };

  /** Writes a new replica set and epoch (conditional: a concurrent writer makes this fail with 409). */
  private async recordPlacement(
    repo: RepositoryResource, members: Member[], epoch: number, settings: ReturnType<typeof effectiveSettings>,
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
    const status: RepositoryResourceStatus = {
      primary, replicas, members, epoch,
      replicationFactor: settings.replicationFactor, writeConcern: settings.writeConcern,
      phase: 'Placing', conditions,
      ...(lastFailover ? { lastFailover } : {}),
    };
    const updated = await patchStatus<RepositoryResource>(this.clients.custom, this.target(repo), status);
    const reason = lastFailover ? 'Failover' : repo.status?.epoch ? 'Replaced' : 'Placed';
    this.events.normal(this.ref(repo), reason, `epoch ${epoch}: primary ${primary}, replicas ${replicas.join(', ') || 'none'}`);
    return updated;
  }

  private async writeObserved(
    repo: RepositoryResource, members: readonly Member[], epoch: number, settings: ReturnType<typeof effectiveSettings>,
    state: Awaited<ReturnType<typeof primaryState>>, failoverBlocked?: { reason: string; message: string }, onlyIfReady = false,
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
      now: Date.now(),
    });
    const next = { ...repo.status, ...observed };
    if (JSON.stringify(next) === JSON.stringify(repo.status) || (onlyIfReady && next.phase !== 'Ready')) return next;
    await patchStatus(this.clients.custom, this.target(repo), observed);
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
      await patchStatus(this.clients.custom, this.target(repo), { conditions, phase, observedGeneration: repo.metadata.generation });
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
    await setFinalizers(this.clients.custom, this.target(repo), (repo.metadata.finalizers ?? []).filter((f) => f !== REPOSITORY_FINALIZER));
    return {};
  }

  private target(repo: RepositoryResource) {
    return { plural: 'repositories' as const, namespace: repo.metadata.namespace!, name: repo.metadata.name!, resourceVersion: repo.metadata.resourceVersion };
  }

  private ref(repo: RepositoryResource) {
    return { apiVersion: repo.apiVersion, kind: repo.kind, metadata: repo.metadata };
  }
}
