// Writes to custom resources: status through the status subresource, finalizers on the object, both as merge
// patches conditional on the resourceVersion the decision was made from (409 when the object changed meanwhile).
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, VERSION } from '../crd/crd-types.js';
import { mergePatch } from '../kube/kube-clients.js';

interface Target {
  plural: 'govcclusters' | 'repositories';
  namespace: string;
  name: string;
  resourceVersion?: string;
}

export async function patchStatus<T>(custom: CustomObjectsApi, t: Target, status: object): Promise<T> {
  return (await custom.patchNamespacedCustomObjectStatus(
    {
      group: GROUP, version: VERSION, plural: t.plural, namespace: t.namespace, name: t.name,
      body: { metadata: t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}, status },
    },
    mergePatch,
  )) as T;
}

export async function setFinalizers<T>(custom: CustomObjectsApi, t: Target, finalizers: string[]): Promise<T> {
  return (await custom.patchNamespacedCustomObject(
    {
      group: GROUP, version: VERSION, plural: t.plural, namespace: t.namespace, name: t.name,
      body: { metadata: { finalizers, ...(t.resourceVersion ? { resourceVersion: t.resourceVersion } : {}) } },
    },
    mergePatch,
  )) as T;
}
