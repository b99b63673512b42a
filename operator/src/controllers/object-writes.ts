// Writes to custom resources: status through the status subresource, finalizers and a GovcCluster's agent count on the
// object, all as merge patches conditional on the resourceVersion the decision was made from (409 when the object changed meanwhile).
import { GROUP, VERSION } from '../crd/crd-types.js';
import type { KubeRest } from '../kube/kube-rest.js';

interface Target {
  plural: 'govcclusters' | 'repositories';
  namespace: string;
  name: string;
  resourceVersion?: string;
}

const pathOf = (t: Target): string =>
  `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(t.namespace)}/${t.plural}/${encodeURIComponent(t.name)}`;

export function patchStatus<T>(rest: KubeRest, t: Target, status: object): Promise<T> {
  return rest.mergePatch<T>(`${pathOf(t)}/status`, { metadata: t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}, status });
}

export function setFinalizers<T>(rest: KubeRest, t: Target, finalizers: string[]): Promise<T> {
  return rest.mergePatch<T>(pathOf(t), { metadata: { finalizers, ...(t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}) } });
}

/** A GovcCluster's spec.agents (the scale subresource's replicas), as `kubectl scale` would set it. */
export function setAgents<T>(rest: KubeRest, t: Target, agents: number): Promise<T> {
  return rest.mergePatch<T>(pathOf(t), { metadata: t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}, spec: { agents } });
}
