// Where the operator's Kubernetes credentials come from: KUBECONFIG when set (a developer's machine), else the
// in-cluster ServiceAccount — the standard paths, overridable with GOVC_KUBE_TOKEN_FILE / GOVC_KUBE_CA_FILE (the
// test plane's process kubelet mounts volumes elsewhere and rewrites those variables to the real directory).
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export function loadKubeConfig(env: NodeJS.ProcessEnv = process.env): KubeConfig {
  const kc = new KubeConfig();
  if (env.KUBECONFIG) {
    kc.loadFromFile(env.KUBECONFIG);
    return kc;
  }
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('neither KUBECONFIG nor KUBERNETES_SERVICE_HOST/PORT is set');
  const tokenFile = env.GOVC_KUBE_TOKEN_FILE || `${SA_DIR}/token`;
  const caFile = env.GOVC_KUBE_CA_FILE || `${SA_DIR}/ca.crt`;
  if (!existsSync(tokenFile)) throw new Error(`ServiceAccount token not found at ${tokenFile}`);
  kc.loadFromClusterAndUser(
    { name: 'in-cluster', server: `https://${isIPv6(host) ? `[${host}]` : host}:${port}`, caFile, skipTLSVerify: false },
    // The tokenFile provider re-reads the file, so rotated projected tokens are picked up.
    { name: 'in-cluster', authProvider: { name: 'tokenFile', config: { tokenFile } } },
  );
  return kc;
}
