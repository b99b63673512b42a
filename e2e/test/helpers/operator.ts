// e2e helpers for the operator: install it from manifests/ (it then runs as Pods under its own ServiceAccount and
// exactly the RBAC there), read govc custom resources, and call agents' Admin API with the cluster's token.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import { AgentAdmin } from '../../../operator/src/agents/agent-admin.js';
import type { GovcClusterResource, RepositoryResource } from '../../../operator/src/crd/generated-types.js';
import { OperatorMetrics } from '../../../operator/src/runtime/metrics.js';
import { repoRoot } from '../../harness/paths.js';
import type { PlaneHandle } from '../../harness/plane-handle.js';
import { waitFor } from '../../harness/util.js';
import { isReady } from './k8s.js';

export const OPERATOR_NS = 'govc-system';
export const manifestsDir = join(repoRoot, 'manifests');

export async function installOperator(p: PlaneHandle): Promise<void> {
  const r = await p.kubectl(['apply', '--server-side', '--force-conflicts', '-k', manifestsDir]);
  if (r.code !== 0) throw new Error(`kubectl apply -k manifests: ${r.stderr}`);
  const w = await p.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/govcclusters.govc.io', 'crd/repositories.govc.io']);
  if (w.code !== 0) throw new Error(w.stderr);
  const core = p.adminKubeConfig().makeApiClient(CoreV1Api);
  await waitFor('two operator pods Ready', async () => {
    const pods = (await core.listNamespacedPod({ namespace: OPERATOR_NS, labelSelector: 'app.kubernetes.io/name=govc-operator' })).items;
    return pods.filter(isReady).length === 2 ? pods : false;
  }, { timeoutMs: 120_000, intervalMs: 500 });
}

export async function uninstallOperator(p: PlaneHandle): Promise<void> {
  await p.kubectl(['delete', 'namespace', OPERATOR_NS, '--wait=true', '--timeout=60s']);
}

export function customApi(kc: KubeConfig): CustomObjectsApi {
  return kc.makeApiClient(CustomObjectsApi);
}

export async function getCluster(kc: KubeConfig, namespace: string, name: string): Promise<GovcClusterResource> {
  return (await customApi(kc).getNamespacedCustomObject({ group: 'govc.io', version: 'v1alpha1', plural: 'govcclusters', namespace, name })) as GovcClusterResource;
}

export async function listRepositories(kc: KubeConfig, namespace: string): Promise<RepositoryResource[]> {
  const list = (await customApi(kc).listNamespacedCustomObject({ group: 'govc.io', version: 'v1alpha1', plural: 'repositories', namespace })) as { items: RepositoryResource[] };
  return list.items;
}

export const repoReady = (r: RepositoryResource): boolean => r.status?.phase === 'Ready';

/** An Admin client for tests (same code the operator uses) and the cluster's token from its Secret. */
export async function agentAdmin(kc: KubeConfig, namespace: string, cluster: string): Promise<{ admin: AgentAdmin; token: string }> {
  const secret = await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name: `${cluster}-admin-token` });
  const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
  return { admin: new AgentAdmin(new OperatorMetrics()), token };
}

/** The Lease holder's pod name (identity is "<pod>_<random>"). */
export async function leaseHolder(p: PlaneHandle): Promise<string | undefined> {
  const r = await p.kubectl(['get', 'lease', 'govc-operator', '-n', OPERATOR_NS, '-o', 'jsonpath={.spec.holderIdentity}']);
  return r.code === 0 && r.stdout ? r.stdout : undefined;
}
