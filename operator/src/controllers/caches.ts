// The operator's view of the cluster: informers on GovcClusters, Repositories, agent Pods and Nodes (all
// namespaces), and the lookups the reconcilers need from them. Reconcilers read these caches, never list.
import type { KubeConfig, V1Node, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { GROUP, VERSION } from '../crd/crd-types.js';
import type { GovcClusterResource, RepositoryResource } from '../crd/generated-types.js';
import type { KubeClients } from '../kube/kube-clients.js';
import { InformerRunner } from '../runtime/informer-runner.js';
import { CLUSTER_LABEL } from './agent-resources.js';

export interface CacheHandlers {
  cluster(c: GovcClusterResource, verb: string): void;
  repository(r: RepositoryResource, verb: string): void;
  pod(p: V1Pod, verb: string): void;
}

type CustomList<T> = { items: T[]; metadata?: { resourceVersion?: string } };

export class Caches {
  readonly clusters: InformerRunner<GovcClusterResource>;
  readonly repositories: InformerRunner<RepositoryResource>;
  readonly pods: InformerRunner<V1Pod>;
  readonly nodes: InformerRunner<V1Node>;

  constructor(kc: KubeConfig, clients: KubeClients, handlers: CacheHandlers, log: Logger) {
    const custom = (plural: string) => async () =>
      (await clients.custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural })) as CustomList<never>;
    this.clusters = new InformerRunner<GovcClusterResource>(kc, {
      name: 'govcclusters', path: `/apis/${GROUP}/${VERSION}/govcclusters`, list: custom('govcclusters'), log,
      onChange: (o, verb) => handlers.cluster(o, verb),
    });
    this.repositories = new InformerRunner<RepositoryResource>(kc, {
      name: 'repositories', path: `/apis/${GROUP}/${VERSION}/repositories`, list: custom('repositories'), log,
      onChange: (o, verb) => handlers.repository(o, verb),
    });
    this.pods = new InformerRunner<V1Pod>(kc, {
      name: 'pods', path: '/api/v1/pods', labelSelector: 'app.kubernetes.io/name=govc-agent', log,
      list: () => clients.core.listPodForAllNamespaces({ labelSelector: 'app.kubernetes.io/name=govc-agent' }),
      onChange: (o, verb) => handlers.pod(o, verb),
    });
    this.nodes = new InformerRunner<V1Node>(kc, {
      name: 'nodes', path: '/api/v1/nodes', log, list: () => clients.core.listNode(), onChange: () => undefined,
    });
  }

  async start(): Promise<void> {
    await Promise.all([this.nodes.start(), this.pods.start(), this.clusters.start(), this.repositories.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.nodes.stop(), this.pods.stop(), this.clusters.stop(), this.repositories.stop()]);
  }

  cluster(namespace: string, name: string): GovcClusterResource | undefined {
    return this.clusters.cache.get(name, namespace);
  }

  repository(namespace: string, name: string): RepositoryResource | undefined {
    return this.repositories.cache.get(name, namespace);
  }

  clusterPods(namespace: string, cluster: string): V1Pod[] {
    return this.pods.cache.list(namespace).filter((p) => p.metadata?.labels?.[CLUSTER_LABEL] === cluster);
  }

  clusterRepositories(namespace: string, cluster: string): RepositoryResource[] {
    return this.repositories.cache.list(namespace).filter((r) => r.spec?.clusterRef === cluster);
  }

  zoneOfNode = (node: string): string | undefined => this.nodes.cache.get(node)?.metadata?.labels?.['topology.kubernetes.io/zone'];
}
