// GovcCluster → its agents: the admin token Secret, agent Pods managed directly (ordinal names, owner references,
// created when missing, failed ones replaced, surplus ordinals deleted on scale-in), the headless and client
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
import { agentViews } from './agent-view.js';
import type { Caches } from './caches.js';
import { clusterStatus } from './cluster-status.js';
import { patchStatus, setFinalizers } from './object-writes.js';
import type { RoutePublisher } from './route-publisher.js';
import type { TokenSource } from './token-source.js';

export const CLUSTER_FINALIZER = 'govc.io/cluster-cleanup';

/** What the cluster reconciler reads of the operator's health checks (agent-health.ts). */
export interface AgentHealthView {
  failed(namespace: string, cluster: string): ReadonlySet<string>;
  failedFor(namespace: string, cluster: string, agent: string): number;
}
const RESYNC_MS = 15_000;

export class ClusterReconciler {
  /** Clusters (by uid) whose Secret, Services and PodDisruptionBudget this process created or found. */
  private readonly ensured = new Set<string>();

  constructor(
    private readonly clients: KubeClients,
    private readonly caches: Caches,
    private readonly tokens: TokenSource,
    private readonly admin: AgentAdmin,
    private readonly events: EventRecorder,
    private readonly log: Logger,
    private readonly routes: RoutePublisher,
    private readonly health: AgentHealthView = { failed: () => new Set(), failedFor: () => 0 },
  ) {}

  reconcile = async (key: string): Promise<ReconcileResult> => {
    const [namespace, name] = key.split('/');
    const cluster = this.caches.cluster(namespace, name);
    if (!cluster) return {};
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
    const changed = await this.ensurePods(cluster, pods);

    const agents = agentViews(pods, this.caches.zoneOfNode, this.health.failed(namespace, name));
    const token = await this.tokens.token(cluster);
    const memory = new Map<string, number>();
    if (token) {
      await Promise.all(agents.filter((a) => a.ready).map(async (a) => {
        try {
          memory.set(a.name, (await this.admin.stats(a.addr, token)).memoryBytes);
        } catch {
          // Stats are informative; readiness comes from the Pod.
        }
      }));
    }
    const repositories = this.caches.clusterRepositories(namespace, name).filter((r) => !r.metadata.deletionTimestamp);
    const routed = token ? await this.routes.publish(key, agents, repositories, token) : true;
    const status = clusterStatus(cluster, agents, memory, repositories, Date.now());
    if (JSON.stringify(status) !== JSON.stringify(cluster.status)) {
      await patchStatus(this.clients.rest, { ...this.target(cluster), resourceVersion: undefined }, status);
    }
    return { requeueAfterMs: changed || !routed || status.readyAgents !== cluster.spec.agents ? 2_000 : RESYNC_MS };
  };

  /** Creates missing ordinals, replaces finished or unresponsive Pods, deletes ordinals at or above spec.agents. */
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
    for (const [ordinal, p] of byOrdinal) {
      if (ordinal < cluster.spec.agents || p.metadata?.deletionTimestamp) continue;
      // Scale-in without draining yet: the Repository reconciler fails the agent's primaries over.
      await this.deletePod(namespace, p.metadata!.name!);
      this.events.normal(this.ref(cluster), 'AgentDeleted', `deleted agent ${p.metadata!.name} (scale-in to ${cluster.spec.agents})`);
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
