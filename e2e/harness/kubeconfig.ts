// Kubeconfig files (for kubectl and the control-plane components) and
// @kubernetes/client-node KubeConfig objects for the same credentials.
// Files are written as JSON, which every kubeconfig loader accepts (YAML 1.2
// is a superset of JSON).
import { readFileSync, writeFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';

export type Credential =
  | { kind: 'cert'; certFile: string; keyFile: string }
  | { kind: 'token'; token: string };

export interface KubeconfigSpec {
  server: string;
  caFile: string;
  user: string;
  credential: Credential;
  namespace?: string;
}

function userEntry(c: Credential): Record<string, string> {
  return c.kind === 'cert'
    ? { 'client-certificate': c.certFile, 'client-key': c.keyFile }
    : { token: c.token };
}

export function kubeconfigObject(spec: KubeconfigSpec): object {
  const context: Record<string, string> = { cluster: 'govc-e2e', user: spec.user };
  if (spec.namespace) context.namespace = spec.namespace;
  return {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'govc-e2e', cluster: { server: spec.server, 'certificate-authority': spec.caFile } }],
    users: [{ name: spec.user, user: userEntry(spec.credential) }],
    contexts: [{ name: spec.user, context }],
    'current-context': spec.user,
    preferences: {},
  };
}

export function writeKubeconfig(path: string, spec: KubeconfigSpec): string {
  writeFileSync(path, JSON.stringify(kubeconfigObject(spec), null, 2) + '\n', { mode: 0o600 });
  return path;
}

/** A client-node KubeConfig for the same cluster and credential. */
export function kubeConfigFor(spec: KubeconfigSpec): KubeConfig {
  const kc = new KubeConfig();
  const user =
    spec.credential.kind === 'cert'
      ? { name: spec.user, certData: b64(spec.credential.certFile), keyData: b64(spec.credential.keyFile) }
      : { name: spec.user, token: spec.credential.token };
  kc.loadFromOptions({
    clusters: [{ name: 'govc-e2e', server: spec.server, caData: b64(spec.caFile), skipTLSVerify: false }],
    users: [user],
    contexts: [{ name: spec.user, cluster: 'govc-e2e', user: spec.user, namespace: spec.namespace }],
    currentContext: spec.user,
  });
  return kc;
}

function b64(file: string): string {
  return readFileSync(file).toString('base64');
}
