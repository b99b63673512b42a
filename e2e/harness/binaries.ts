// Where the pinned control-plane binaries live. They are built by
// e2e/tools/install-control-plane.sh into a per-version cache outside the
// clone; versions come from e2e/tools/versions.env (single source of truth).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export interface Binaries {
  k8sVersion: string;
  etcdVersion: string;
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
  kubeScheduler: string;
  kubectl: string;
}

export function readVersions(): { K8S_VERSION: string; ETCD_VERSION: string } {
  const text = readFileSync(join(repoRoot, 'e2e', 'tools', 'versions.env'), 'utf8');
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(\S+)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2];
  }
  if (!vars.K8S_VERSION || !vars.ETCD_VERSION) throw new Error('e2e/tools/versions.env lacks K8S_VERSION/ETCD_VERSION');
  return { K8S_VERSION: vars.K8S_VERSION, ETCD_VERSION: vars.ETCD_VERSION };
}

export function locateBinaries(): Binaries {
  const v = readVersions();
  const root = process.env.GOVC_BIN_CACHE ?? join(homedir(), '.cache', 'govc', 'bin');
  const k8s = join(root, `k8s-${v.K8S_VERSION}`);
  const etcdDir = join(root, `etcd-${v.ETCD_VERSION}`);
  const b: Binaries = {
    k8sVersion: v.K8S_VERSION,
    etcdVersion: v.ETCD_VERSION,
    etcd: join(etcdDir, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubectl: join(k8s, 'kubectl'),
  };
  for (const [k, p] of Object.entries(b)) {
    if (k.endsWith('Version')) continue;
    if (!existsSync(p)) {
      throw new Error(`missing ${p}: run e2e/tools/install-control-plane.sh first`);
    }
  }
  return b;
}
