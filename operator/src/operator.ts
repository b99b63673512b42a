// Wires the operator together once this replica leads: caches (informers) feeding two controllers' queues.
// Every change is mapped to the keys whose reconcile might now decide differently.
import type { Logger } from 'winston';
import { AgentAdmin } from './agents/agent-admin.js';
import { AgentHealthMonitor } from './controllers/agent-health.js';
import { podReady } from './controllers/agent-view.js';
import { CLUSTER_LABEL } from './controllers/agent-resources.js';
import { Caches } from './controllers/caches.js';
import { ClusterReconciler } from './controllers/cluster-reconciler.js';
import { RepositoryReconciler } from './controllers/repository-reconciler.js';
import { PlacementCache } from './controllers/placement-cache.js';
import { RoutePublisher } from './controllers/route-publisher.js';
import { TokenSource } from './controllers/token-source.js';
import type { OperatorConfig } from './config.js';
import type { KubeClients } from './kube/kube-clients.js';
import { Controller } from './runtime/controller.js';
import { EventRecorder } from './runtime/event-recorder.js';
import type { OperatorMetrics } from './runtime/metrics.js';

const CLUSTER_BATCH_MS = 1_000;

/** What a reconcile reacts to besides its own writes (status, its finalizer): spec (generation) and deletion. */
function objectSignature(o: { metadata: { generation?: number; deletionTimestamp?: unknown } }): string {
  return `${o.metadata.generation ?? 0}|${o.metadata.deletionTimestamp ? 'deleting' : ''}`;
}

export class Operator {
  private readonly caches: Caches;
  private readonly clusters: Controller;
  private readonly repositories: Controller;
  private readonly admin: AgentAdmin;
  private readonly placements: PlacementCache;
  private readonly health: AgentHealthMonitor;
  private readonly clusterGenerations = new Map<string, number>();
  /** Per Repository: what besides its status it looked like at the last event (see objectSignature). */
  private readonly repositorySignatures = new Map<string, string>();

  constructor(clients: KubeClients, private readonly cfg: OperatorConfig, metrics: OperatorMetrics, log: Logger) {
    this.admin = new AgentAdmin(metrics);
    const tokens = new TokenSource(clients.core);
    const events = new EventRecorder(clients.rest, log);
    this.caches = new Caches(clients.kc, clients, {
      cluster: (c, verb) => {
        const key = `${c.metadata.namespace}/${c.metadata.name}`;
        this.health.track(c.metadata.namespace!, c.metadata.name!, verb === 'delete');
        this.clusters.enqueue(key);
        // Repositories read the cluster's spec (defaults, zone spreading), not its status.
        const generation = c.metadata.generation ?? 0;
        if (verb === 'delete' || this.clusterGenerations.get(key) !== generation) {
          this.clusterGenerations.set(key, generation);
          this.enqueueRepositoriesOf(c.metadata.namespace!, c.metadata.name!);
        }
      },
      repository: (r, verb) => {
        const key = `${r.metadata.namespace}/${r.metadata.name}`;
        if (verb !== 'update' && r.spec?.clusterRef) this.placements.changed(r.metadata.namespace!, r.spec.clusterRef);
        // The cluster's status and routes summarise all its repositories: one look per second, however many change.
        if (r.spec?.clusterRef) this.clusters.enqueueAfter(`${r.metadata.namespace}/${r.spec.clusterRef}`, CLUSTER_BATCH_MS);
        // Updates of status or finalizers only are this operator's own writes; its reconcile already asked for the
        // next look (and the periodic resync catches anything else).
        const seen = objectSignature(r);
        if (verb === 'delete') this.repositorySignatures.delete(key);
        else if (verb === 'update' && this.repositorySignatures.get(key) === seen) return;
        else this.repositorySignatures.set(key, seen);
        this.repositories.enqueue(key);
      },
      pod: (p) => {
        const cluster = p.metadata?.labels?.[CLUSTER_LABEL];
        if (!cluster) return;
        this.clusters.enqueue(`${p.metadata!.namespace}/${cluster}`);
        this.enqueueRepositoriesOf(p.metadata!.namespace!, cluster, podReady(p) ? undefined : new Set([p.metadata!.name!]));
      },
    }, log);
    // A change in which agents fail their health checks re-queues the cluster and every repository on it at once
    // (a failover must not wait for the periodic resync).
    this.health = new AgentHealthMonitor(
      { cluster: (ns, name) => this.caches.cluster(ns, name), pods: (ns, name) => this.caches.clusterPods(ns, name), token: (c) => tokens.token(c) },
      this.admin,
      (namespace, cluster, failed) => {
        this.clusters.enqueue(`${namespace}/${cluster}`);
        this.enqueueRepositoriesOf(namespace, cluster, failed);
      },
      log,
    );
    const failedAgents = (namespace: string, cluster: string) => this.health.failed(namespace, cluster);
    const clusterReconciler = new ClusterReconciler(
      clients, this.caches, tokens, this.admin, events, log, new RoutePublisher(this.admin, log), this.health,
      (namespace, repos) => {
        for (const r of repos) this.repositories.enqueue(`${namespace}/${r}`);
      },
    );
    this.placements = new PlacementCache((namespace, cluster) => this.caches.clusterRepositories(namespace, cluster));
    const repositoryReconciler = new RepositoryReconciler(clients, this.caches, tokens, this.admin, events, log, this.placements, failedAgents);
    this.clusters = new Controller('govccluster', clusterReconciler.reconcile, metrics, log);
    this.repositories = new Controller('repository', repositoryReconciler.reconcile, metrics, log);
  }

  async start(): Promise<void> {
    // Events arriving during the initial lists are queued; workers start once every cache is filled.
    await this.caches.start();
    this.clusters.start(this.cfg.clusterWorkers);
    this.repositories.start(this.cfg.repositoryWorkers);
  }

  async stop(): Promise<void> {
    this.health.stop();
    await Promise.all([this.clusters.stop(), this.repositories.stop()]);
    await this.caches.stop();
    this.admin.close();
  }

  /** `lost`: agents that just went away; the repositories they led go first (their writes wait for the failover). */
  private enqueueRepositoriesOf(namespace: string, cluster: string, lost?: ReadonlySet<string>): void {
    const repos = this.caches.clusterRepositories(namespace, cluster);
    const leaderless = lost ? repos.filter((r) => lost.has(r.status?.primary ?? '')) : [];
    for (const r of [...leaderless, ...repos]) this.repositories.enqueue(`${r.metadata.namespace}/${r.metadata.name}`);
  }
}
