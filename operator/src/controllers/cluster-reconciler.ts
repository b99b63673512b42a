// GovcCluster → its agents: the admin token Secret, agent Pods managed directly (ordinal names, owner references,
// created when missing, failed ones replaced; on scale-in the highest ordinals drained, then deleted), the headless and client
// Services and the PodDisruptionBudget; then the status (agents, per-agent summary, phase, conditions).
// A finalizer deletes the Pods before the object goes.
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { GovcClusterResource } from '../crd/generated-types.js';
import { isAlreadyExists, isNotFound } from '../kube/api-errors.js';
import type { KubeClients } from '../kube/kube-clients.js';
import type { ReconcileResult } from '../runtime/controller.js';
import type { EventRecorder } from '../runtime/event-recorder.js';
import {
  agentLabels, agentPod, clientService, disruptionBudget, headlessService, ordinalOf, ownerRef, tokenSecretKey, tokenSecretName,
} from './agent-resources.js';
import { unresponsivePod } from './agent-health.js';
import { type AgentView, DRAINING_ANNOTATION, agentViews } from './agent-view.js';
import { type AgentSample, Autoscaler } from './autoscaler.js';
import { scaleInStep } from '../scale-in.js';
import type { RepositoryResource } from '../crd/generated-types.js';
import type { Caches } from './caches.js';
import { clusterStatus } from './cluster-status.js';
import { patchStatus, setAgents, setFinalizers } from './object-writes.js';
import type { RoutePublisher } from './route-publisher.js';
import type { TokenSource } from './token-source.js';

export const CLUSTER_FINALIZER = 'govc.io/cluster-cleanup';

/** What the cluster reconciler reads of the operator's health checks (agent-health.ts). */
export interface AgentHealthView {
  failed(namespace: string, cluster: string): ReadonlySet<string>;
  failedFor(namespace: string, cluster: string, agent: string): number;
}
const RESYNC_MS = 15_000;
/** While an agent reports a damaged copy, its listing is refreshed this often (so it clears soon after healing). */
const DAMAGED_RESYNC_MS = 5_000;
/** How often an autoscaled cluster is looked at again when nothing else happens. */
const AUTOSCALE_MS = 5_000;

export class ClusterReconciler {
  /** Clusters (by uid) whose Secret, Services and PodDisruptionBudget this process created or found. */
  private readonly ensured = new Set<string>();
  private readonly autoscaler = new Autoscaler();
  /** Per cluster key: the damaged copies (`<agent>/<repo>`) its agents reported at the last look. */
  private readonly damagedSeen = new Map<string, ReadonlyMap<string, readonly string[]>>();

  constructor(
    private readonly clients: KubeClients,
    private readonly caches: Caches,
    private readonly tokens: TokenSource,
    private readonly admin: AgentAdmin,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly routes: RoutePublisher,
    private readonly health: AgentHealthView = { failed: () => new Set(), failedFor: () => 0 },
    /**
     * Repositories of `namespace` whose copy an agent newly reports damaged, or no longer does: their reconcile looks
     * at once (a primary damaged at runtime is failed over without waiting for the periodic look).
     */
    private readonly onDamageChange: (namespace: string, repos: readonly string[]) => void = () => undefined,
  ) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    const [namespace, name] = key.split('/');
    const cluster = this.caches.cluster(namespace, name);
    if (!cluster) {
      this.damagedSeen.delete(key);
      return {};
    }
    const pods = this.caches.clusterPods(namespace, name);
    if (cluster.metadata.deletionTimestamp) return this.finalize(cluster, pods);
    if (!(cluster.metadata.finalizers ?? []).includes(CLUSTER_FINALIZER)) {
      await setFinalizers(this.clients.rest, this.target(cluster), [...(cluster.metadata.finalizers ?? []), CLUSTER_FINALIZER]);
      return {};
    }
    if (!this.ensured.has(cluster.metadata.uid!)) {
      await this.ensureToken(cluster);
      await this.ensureCreated(() => this.clients.core.createNamespacedService({ namespace, body: headlessService(cluster) }));
      await this.ensureCreated(() => this.clients.core.createNamespacedService({ namespace, body: clientService(cluster) }));
      await this.ensureCreated(() => this.clients.policy.createNamespacedPodDisruptionBudget({ namespace, body: disruptionBudget(cluster) }));
      this.ensured.add(cluster.metadata.uid!);
    }
    const podsChanged = await this.ensurePods(cluster, pods);

    const agents = agentViews(pods, this.caches.zoneOfNode, this.health.failed(namespace, name));
    const token = await this.tokens.token(cluster);
    const samples: AgentSample[] = [];
    const damaged = new Map<string, readonly string[]>();
    const seenBefore = this.damagedSeen.get(key) ?? new Map<string, readonly string[]>();
    if (token) {
      await Promise.all(agents.filter((a) => a.ready).map(async (a) => {
        try {
          const s = await this.admin.stats(a.addr, token);
          samples.push({ name: a.name, repositories: s.repositories, memoryBytes: s.memoryBytes, memoryLimitBytes: s.memoryLimitBytes, cpuSeconds: s.cpuSeconds });
          if (s.damagedRepos.length > 0) damaged.set(a.name, s.damagedRepos);
        } catch {
          // Stats are informative; readiness comes from the Pod and the health checks. A ready agent that did not
          // answer keeps its last listing (no answer is no news).
          const last = seenBefore.get(a.name);
          if (last) damaged.set(a.name, last);
        }
      }));
    }
    const changed = damageChanges(seenBefore, damaged);
    this.damagedSeen.set(key, damaged);
    if (changed.length > 0) this.onDamageChange(namespace, changed);
    const memory = new Map(samples.map((s) => [s.name, s.memoryBytes]));
    const repositories = this.caches.clusterRepositories(namespace, name).filter((r) => !r.metadata.deletionTimestamp);
    const scaling = await this.autoscale(cluster, samples.filter((s) => !agents.find((a) => a.name === s.name)?.draining));
    const shrinking = await this.scaleIn(cluster, agents, repositories, token);
    const routed = token ? await this.routes.publish(key, agents, repositories, token) : true;
    const status = clusterStatus(cluster, agents, memory, repositories, Date.now(), damaged);
    if (JSON.stringify(status) !== JSON.stringify(cluster.status)) {
      await patchStatus(this.clients.rest, { ...this.target(cluster), resourceVersion: undefined }, status);
    }
    const busy = podsChanged || shrinking || !routed || status.readyAgents !== cluster.spec.agents;
    return { requeueAfterMs: busy ? 2_000 : scaling ? AUTOSCALE_MS : damaged.size > 0 ? DAMAGED_RESYNC_MS : RESYNC_MS };
  };

  /** Autoscaling on: decides from the agents' reports and changes spec.agents (what `kubectl scale` would do). */
  private async autoscale(cluster: GovcClusterResource, samples: AgentSample[]): Promise<boolean> {
    const decision = this.autoscaler.decide(cluster, samples, Date.now());
    if (!decision) return false;
    if (decision.desired !== cluster.spec.agents) {
      await setAgents(this.clients.rest, this.target(cluster), decision.desired);
      this.events.normal(this.ref(cluster), decision.desired > cluster.spec.agents ? 'ScaledOut' : 'ScaledIn', decision.message);
      this.log.info('autoscaled', { cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}`, from: cluster.spec.agents, to: decision.desired, reason: decision.reason, metric: decision.metric });
    }
    return true;
  }

  /**
   * Agents at or above spec.agents: marked draining first (placement moves every copy off them, primaries by planned
   * hand-over), told to step down (Admin.Drain) once they lead nothing, deleted once no Repository names them
   * (scale-in.ts). True while one is pending.
   */
  private async scaleIn(
    cluster: GovcClusterResource, agents: AgentView[], repositories: RepositoryResource[], token: string | undefined,
  ): Promise<boolean> {
    const namespace = cluster.metadata.namespace!;
    const name = cluster.metadata.name!;
    const live = agents.filter((a) => !a.terminating).flatMap((a) => {
      const ordinal = ordinalOf(name, a.name);
      return ordinal === undefined ? [] : [{ name: a.name, ordinal, draining: a.draining === true }];
    });
    const step = scaleInStep(cluster.spec.agents, live, repositories.map((r) => ({ primary: r.status?.primary ?? null, replicas: r.status?.replicas ?? [] })));
    for (const agent of step.drain) {
      await this.clients.rest.mergePatch(
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(agent)}`,
        { metadata: { annotations: { [DRAINING_ANNOTATION]: 'true' } } },
      );
      this.events.normal(this.ref(cluster), 'AgentDraining', `draining agent ${agent} (scale-in to ${cluster.spec.agents}): its copies move to other agents first`);
    }
    // Once it leads nothing (its primaries handed over one by one while it served): step down, readiness goes false.
    // Idempotent, so repeated until its Pod says not Ready.
    for (const agent of step.stepDown) {
      const view = agents.find((a) => a.name === agent);
      if (!token || !view?.ready) continue;
      // Best effort: an agent that does not answer is treated as failed by the Repository reconciler anyway.
      await this.admin.drain(view.addr, token).catch((err: Error) => this.log.warn('drain call failed', { agent, error: err.message }));
    }
    for (const agent of step.remove) {
      await this.deletePod(namespace, agent);
      this.events.normal(this.ref(cluster), 'AgentDeleted', `deleted drained agent ${agent} (scale-in to ${cluster.spec.agents})`);
    }
    if (step.waiting.length > 0) this.log.debug('draining', { cluster: `${namespace}/${name}`, waiting: step.waiting });
    return step.drain.length + step.waiting.length + step.remove.length > 0;
  }

  /** Creates missing ordinals and replaces finished or unresponsive Pods (scale-in is scaleIn's). */
  private async ensurePods(cluster: GovcClusterResource, pods: V1Pod[]): Promise<boolean> {
    const namespace = cluster.metadata.namespace!;
    const name = cluster.metadata.name!;
    const byOrdinal = new Map<number, V1Pod>();
    for (const p of pods) {
      const o = ordinalOf(name, p.metadata?.name ?? '');
      if (o !== undefined) byOrdinal.set(o, p);
    }
    let changed = false;
    for (let i = 0; i < cluster.spec.agents; i++) {
      const existing = byOrdinal.get(i);
      if (existing && (existing.status?.phase === 'Failed' || existing.status?.phase === 'Succeeded') && !existing.metadata?.deletionTimestamp) {
        await this.deletePod(namespace, existing.metadata!.name!);
        this.events.warning(this.ref(cluster), 'AgentReplaced', `agent ${existing.metadata!.name} ended (${existing.status?.phase}); replacing it`);
        changed = true;
      } else if (!existing) {
        const body = agentPod(cluster, i);
        if (await this.ensureCreated(() => this.clients.core.createNamespacedPod({ namespace, body }))) {
          this.events.normal(this.ref(cluster), 'AgentCreated', `created agent ${body.metadata!.name}`);
        }
        changed = true;
      }
    }
    const stuck = changed ? undefined : unresponsivePod(pods, (agent) => this.health.failedFor(namespace, name, agent));
    if (stuck) {
      await this.deletePod(namespace, stuck.metadata!.name!);
      this.events.warning(this.ref(cluster), 'AgentReplaced', `agent ${stuck.metadata!.name} has not answered for ${Math.round(this.health.failedFor(namespace, name, stuck.metadata!.name!) / 1000)} s and is not Ready; replacing it`);
      changed = true;
    }
    return changed;
  }

  private async ensureToken(cluster: GovcClusterResource): Promise<void> {
    const namespace = cluster.metadata.namespace!;
    const name = tokenSecretName(cluster);
    try {
      await this.clients.core.readNamespacedSecret({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created = await this.ensureCreated(() =>
        this.clients.core.createNamespacedSecret({
          namespace,
          body: {
            metadata: { name, namespace, labels: agentLabels(cluster.metadata.name!), ownerReferences: [ownerRef(cluster)] },
            type: 'Opaque',
            stringData: { [tokenSecretKey(cluster)]: randomBytes(24).toString('hex') },
          },
        }));
      if (created) this.events.normal(this.ref(cluster), 'TokenCreated', `generated the admin token Secret ${name}`);
    }
  }

  private async finalize(cluster: GovcClusterResource, pods: V1Pod[]): Promise<ReconcileResult> {
    if (!(cluster.metadata.finalizers ?? []).includes(CLUSTER_FINALIZER)) return {};
    const live = pods.filter((p) => !p.metadata?.deletionTimestamp);
    for (const p of live) await this.deletePod(cluster.metadata.namespace!, p.metadata!.name!);
    if (pods.length > 0) return { requeueAfterMs: 1_000 };
    await setFinalizers(this.clients.rest, this.target(cluster), (cluster.metadata.finalizers ?? []).filter((f) => f !== CLUSTER_FINALIZER));
    this.log.info('cluster finalized', { cluster: `${cluster.metadata.namespace}/${cluster.metadata.name}` });
    return {};
  }

  private async deletePod(namespace: string, name: string): Promise<void> {
    try {
      await this.clients.core.deleteNamespacedPod({ namespace, name });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /** Runs a create; true when it created, false when the object already existed. */
  private async ensureCreated(create: () => Promise<unknown>): Promise<boolean> {
    try {
      await create();
      return true;
    } catch (err) {
      if (isAlreadyExists(err)) return false;
      throw err;
    }
  }

  private target(c: GovcClusterResource) {
    return { plural: 'govcclusters' as const, namespace: c.metadata.namespace!, name: c.metadata.name!, resourceVersion: c.metadata.resourceVersion };
  }

  private ref(c: GovcClusterResource) {
    return { apiVersion: c.apiVersion, kind: c.kind, metadata: c.metadata };
  }
}

/** Repositories listed damaged on some agent in one look and not the other (either way), sorted, once each. */
export function damageChanges(before: ReadonlyMap<string, readonly string[]>, after: ReadonlyMap<string, readonly string[]>): string[] {
  const pairs = (m: ReadonlyMap<string, readonly string[]>) => new Set([...m].flatMap(([agent, repos]) => repos.map((r) => `${agent}/${r}`)));
  const a = pairs(before);
  const b = pairs(after);
  const out = new Set<string>();
  for (const x of a) if (!b.has(x)) out.add(x.slice(x.indexOf('/') + 1));
  for (const x of b) if (!a.has(x)) out.add(x.slice(x.indexOf('/') + 1));
  return [...out].sort();
}
