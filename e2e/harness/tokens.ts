// ServiceAccount credentials via the TokenRequest API, and a kubeconfig /
// KubeConfig that authenticates as that ServiceAccount — so a component (e.g.
// the operator) can be run and tested under exactly its RBAC rules.
import { join } from 'node:path';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor, writeKubeconfig, type KubeconfigSpec } from './kubeconfig.js';
import type { PlaneHandle } from './plane-handle.js';

export interface TokenOptions {
  audiences?: string[];
  expirationSeconds?: number;
}

/** Request a token for namespace/serviceAccount (TokenRequest API). */
export async function serviceAccountToken(
  admin: KubeConfig, namespace: string, serviceAccount: string, opts: TokenOptions = {},
): Promise<string> {
  const core = admin.makeApiClient(CoreV1Api);
  const tr = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace,
    body: { spec: { audiences: opts.audiences ?? [], expirationSeconds: opts.expirationSeconds ?? 3600 } },
  });
  const token = tr.status?.token;
  if (!token) throw new Error(`TokenRequest for ${namespace}/${serviceAccount} returned no token`);
  return token;
}

export interface ServiceAccountCredentials {
  token: string;
  /** A kubeconfig file for kubectl or a subprocess. */
  kubeconfigPath: string;
  /** The same credentials as a client-node KubeConfig. */
  kubeConfig: KubeConfig;
}

export async function serviceAccountCredentials(
  plane: PlaneHandle, namespace: string, serviceAccount: string, opts: TokenOptions = {},
): Promise<ServiceAccountCredentials> {
  const token = await serviceAccountToken(plane.adminKubeConfig(), namespace, serviceAccount, opts);
  const spec: KubeconfigSpec = {
    server: plane.state.server,
    caFile: plane.state.caFile,
    user: `system:serviceaccount:${namespace}:${serviceAccount}`,
    credential: { kind: 'token', token },
    namespace,
  };
  const kubeconfigPath = writeKubeconfig(join(plane.dir, `sa-${namespace}-${serviceAccount}.kubeconfig`), spec);
  return { token, kubeconfigPath, kubeConfig: kubeConfigFor(spec) };
}
