// Starting etcd, kube-apiserver, kube-controller-manager and kube-scheduler
// as local processes on 127.0.0.1 with free ports, the way envtest does.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binaries } from './binaries.js';
import type { PlaneCerts } from './certs.js';
import { httpGet } from './http.js';
import { spawnManaged, type ManagedProcess } from './proc.js';
import { freePort, waitFor } from './util.js';

export interface ComponentContext {
  bins: Binaries;
  dir: string;
  env: Record<string, string>;
}

function ensureAlive(p: ManagedProcess): void {
  const info = p.exitInfo();
  if (info) {
    let tail = '';
    try {
      tail = readFileSync(p.logFile, 'utf8').split('\n').slice(-30).join('\n');
    } catch {
      /* no log */
    }
    throw new Error(`${p.name} exited (code ${info.code}, signal ${info.signal}); log ${p.logFile}:\n${tail}`);
  }
}

export async function startEtcd(ctx: ComponentContext): Promise<{ proc: ManagedProcess; url: string }> {
  const port = await freePort();
  const dataDir = join(ctx.dir, 'etcd-data');
  mkdirSync(dataDir, { recursive: true });
  const url = `http://127.0.0.1:${port}`;
  const proc = spawnManaged({
    name: 'etcd',
    command: ctx.bins.etcd,
    args: [
      '--name', 'govc-e2e',
      '--data-dir', dataDir,
      '--listen-client-urls', url,
      '--advertise-client-urls', url,
      '--listen-peer-urls', 'http://localhost:0',
      '--unsafe-no-fsync',
      '--quota-backend-bytes', String(2 * 1024 * 1024 * 1024),
    ],
    logFile: join(ctx.dir, 'etcd.log'),
    env: ctx.env,
  });
  await waitFor('etcd /health', async () => {
    ensureAlive(proc);
    const r = await httpGet(`${url}/health`);
    return r.status === 200 && r.body.includes('"health":"true"');
  }, { timeoutMs: 60_000 });
  return { proc, url };
}

export async function startApiserver(
  ctx: ComponentContext,
  certs: PlaneCerts,
  etcdUrl: string,
  serviceCIDR: string,
): Promise<{ proc: ManagedProcess; url: string; port: number }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const proc = spawnManaged({
    name: 'kube-apiserver',
    command: ctx.bins.kubeApiserver,
    args: [
      '--etcd-servers', etcdUrl,
      '--secure-port', String(port),
      '--bind-address', '127.0.0.1',
      '--advertise-address', '127.0.0.1',
      '--cert-dir', join(ctx.dir, 'apiserver-certs'),
      '--tls-cert-file', certs.servingCert,
      '--tls-private-key-file', certs.servingKey,
      '--client-ca-file', certs.caCert,
      '--service-cluster-ip-range', serviceCIDR,
      '--authorization-mode', 'Node,RBAC',
      '--service-account-issuer', `${url}/`,
      '--service-account-key-file', certs.saPub,
      '--service-account-signing-key-file', certs.saKey,
      '--allow-privileged=true',
      '--profiling=false',
    ],
    logFile: join(ctx.dir, 'kube-apiserver.log'),
    env: ctx.env,
  });
  const tls = {
    ca: readFileSync(certs.caCert),
    cert: readFileSync(certs.admin.cert),
    key: readFileSync(certs.admin.key),
  };
  await waitFor('kube-apiserver /readyz', async () => {
    ensureAlive(proc);
    const r = await httpGet(`${url}/readyz`, tls);
    return r.status === 200;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  return { proc, url, port };
}

export async function startControllerManager(
  ctx: ComponentContext,
  certs: PlaneCerts,
  kubeconfig: string,
  serviceCIDR: string,
): Promise<ManagedProcess> {
  const port = await freePort();
  const proc = spawnManaged({
    name: 'kube-controller-manager',
    command: ctx.bins.kubeControllerManager,
    args: [
      '--kubeconfig', kubeconfig,
      '--authentication-kubeconfig', kubeconfig,
      '--authorization-kubeconfig', kubeconfig,
      '--bind-address', '127.0.0.1',
      '--secure-port', String(port),
      '--cert-dir', join(ctx.dir, 'kcm-certs'),
      '--root-ca-file', certs.caCert,
      '--service-account-private-key-file', certs.saKey,
      '--use-service-account-credentials=true',
      '--cluster-signing-cert-file', certs.caCert,
      '--cluster-signing-key-file', certs.caKey,
      '--service-cluster-ip-range', serviceCIDR,
      // Every default controller, which includes garbage-collector-controller
      // and namespace-controller (asserted by the e2e tests).
      '--controllers', '*',
      '--leader-elect=false',
      '--profiling=false',
    ],
    logFile: join(ctx.dir, 'kube-controller-manager.log'),
    env: ctx.env,
  });
  await waitFor('kube-controller-manager /healthz', async () => {
    ensureAlive(proc);
    return (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  return proc;
}

export async function startScheduler(ctx: ComponentContext, kubeconfig: string): Promise<ManagedProcess> {
  const port = await freePort();
  const proc = spawnManaged({
    name: 'kube-scheduler',
    command: ctx.bins.kubeScheduler,
    args: [
      '--kubeconfig', kubeconfig,
      '--authentication-kubeconfig', kubeconfig,
      '--authorization-kubeconfig', kubeconfig,
      '--bind-address', '127.0.0.1',
      '--secure-port', String(port),
      '--cert-dir', join(ctx.dir, 'scheduler-certs'),
      '--leader-elect=false',
      '--profiling=false',
    ],
    logFile: join(ctx.dir, 'kube-scheduler.log'),
    env: ctx.env,
  });
  await waitFor('kube-scheduler /healthz', async () => {
    ensureAlive(proc);
    return (await httpGet(`https://127.0.0.1:${port}/healthz`, { insecure: true })).status === 200;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  return proc;
}
