// The operator benchmark: a real control plane (e2e/harness: etcd, kube-apiserver, scheduler, controller-manager,
// process kubelets), the CRDs, one GovcCluster of 3 agents (Pods), and the operator as a separate process on the host
// (the leader of a Lease, with the admin kubeconfig) so its CPU and memory are its own. N Repository CRs are created at
// once; measured: seconds from the first create until every one is Ready, Ready/s, the operator's CPU ms per
// repository and its peak RSS. BENCH_REPOS is a size or a comma list (default "1000,10000"); each size gets a fresh
// plane and operator, and prints one JSON line (the last line is the largest size). On stderr: the CPU seconds every
// process of the run used (operator, etcd, kube-apiserver, agents, ...: who the bottleneck is), the operator's
// reconcile and agent-call counters, and the writes per Repository (watch events until Ready).
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ControlPlane } from '../e2e/harness/control-plane.js';
import { repoRoot } from '../e2e/harness/paths.js';
import type { ManagedProcess } from '../e2e/harness/proc.js';
import { freePort, waitFor } from '../e2e/harness/util.js';
import type { GovcClusterResource, RepositoryResource } from '../operator/src/crd/generated-types.js';
import { shareAgents } from '../operator/src/kube/shared-agent.js';
import { InformerRunner } from '../operator/src/runtime/informer-runner.js';
import { makeLogger } from '../operator/src/runtime/logger.js';
import { measureFloor, type Floor } from './operator-floor.js';
import { cpuSeconds } from './servers.js';
import { kubectl, startOperator } from './bench-cluster.js';
import { printTable } from './table.js';

const SIZES = (process.env.BENCH_REPOS ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
const WORKERS = process.env.BENCH_OPERATOR_WORKERS ?? '32';
const CREATE_CONCURRENCY = 32;
// BENCH_HEALTH_CHECK=<interval ms>,<threshold>: the cluster's spec.healthCheck (default: the CRD's defaults).
const HEALTH_CHECK = process.env.BENCH_HEALTH_CHECK ? process.env.BENCH_HEALTH_CHECK.split(',').map(Number) : undefined;
// BENCH_FLOOR_REPOS: size of the API-server floor sample (operator-floor.ts); default min(N, 2000), 0 = none.
const FLOOR_REPOS = process.env.BENCH_FLOOR_REPOS;
const NS = 'bench';
const GROUP = { group: 'govc.io', version: 'v1alpha1' };

interface Result {
  bench: 'operator';
  repositories: number;
  seconds_to_ready: number;
  ready_per_s: number;
  operator_cpu_ms_per_repo: number;
  operator_peak_rss_mb: number;
  /** Seconds per 1,000 Repositories of the API work alone (no operator), and this run's seconds per 1,000 over it. */
  apiserver_floor_s_per_1000?: number;
  operator_vs_floor?: number;
  /** The API server's CPU per Repository in the floor run: the CPU floor of the whole run on this machine. */
  apiserver_floor_cpu_ms_per_repo?: number;
}

const log = (m: string): void => void process.stderr.write(`[bench operator] ${m}\n`);

function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Creates `n` Repository CRs, CREATE_CONCURRENCY at a time. */
async function createRepositories(kc: KubeConfig, n: number): Promise<void> {
  const api = kc.makeApiClient(CustomObjectsApi);
  let next = 0;
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, async () => {
    while (next < n) {
      const name = `repo-${next++}`;
      await api.createNamespacedCustomObject({
        ...GROUP, plural: 'repositories', namespace: NS,
        body: { apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: NS }, spec: { clusterRef: 'demo' } },
      });
    }
  }));
}

async function runSize(n: number): Promise<Result> {
  log(`${n} repositories: starting a control plane`);
  const plane = await ControlPlane.start({ log });
  let operator: ManagedProcess | undefined;
  let ready: InformerRunner<RepositoryResource> | undefined;
  try {
    const kc = plane.handle.adminKubeConfig();
    shareAgents(kc); // the creates would otherwise pay a TLS handshake each
    await kubectl(plane, ['apply', '--server-side', '-f', join(repoRoot, 'crds')]);
    await kubectl(plane, ['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/govcclusters.govc.io', 'crd/repositories.govc.io']);
    const floorN = FLOOR_REPOS === undefined ? Math.min(n, 2000) : Number(FLOOR_REPOS);
    let floor: Floor | undefined;
    if (floorN > 0) {
      floor = await measureFloor(plane, kc, floorN, 'bench-floor', { create: CREATE_CONCURRENCY, workers: Number(WORKERS) }, log);
      log(`API floor: ${floorN} Repositories (create + finalizer + 2 status patches) in ${floor.seconds.toFixed(1)} s; CPU s: ${
        Object.entries(floor.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    }
    await kubectl(plane, ['create', 'namespace', NS]);
    await kubectl(plane, ['apply', '-n', NS, '-f', '-'], JSON.stringify({
      apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: 'demo' },
      spec: {
        agents: 3, image: 'govc/agent:0.1.0', defaults: { replicationFactor: 3, writeConcern: 'quorum' }, zoneSpreading: true,
        ...(HEALTH_CHECK ? { healthCheck: { intervalMilliseconds: HEALTH_CHECK[0], failureThreshold: HEALTH_CHECK[1] } } : {}),
      },
    }));
    const metricsAddr = `127.0.0.1:${await freePort()}`;
    operator = await startOperator(plane, {
      httpAddr: metricsAddr,
      env: { GOVC_REPOSITORY_WORKERS: WORKERS },
      // BENCH_OPERATOR_PROF=<dir>: a V8 CPU profile of the operator, written when it stops.
      nodeArgs: process.env.BENCH_OPERATOR_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_OPERATOR_PROF}`] : [],
    });
    const api = kc.makeApiClient(CustomObjectsApi);
    await waitFor('3 ready agents', async () => {
      const c = (await api.getNamespacedCustomObject({ ...GROUP, plural: 'govcclusters', namespace: NS, name: 'demo' })) as GovcClusterResource;
      return c.status?.readyAgents === 3;
    }, { timeoutMs: 180_000, intervalMs: 500 });
    log('3 agents ready; creating repositories');

    const readyNames = new Set<string>();
    let repositoryEvents = 0; // watch events: one per write to a Repository (create, finalizer, status)
    let allReady: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (allReady = resolve));
    ready = new InformerRunner<RepositoryResource>(kc, {
      name: 'bench-repositories', path: `/apis/govc.io/v1alpha1/namespaces/${NS}/repositories`, log: makeLogger('warn'),
      list: async () => (await api.listNamespacedCustomObject({ ...GROUP, plural: 'repositories', namespace: NS })) as { items: RepositoryResource[] },
      onChange: (r) => {
        repositoryEvents++;
        if (r.status?.phase === 'Ready') readyNames.add(r.metadata.name!);
        if (readyNames.size >= n) allReady();
      },
    });
    await ready.start();
    // Who else spends CPU meanwhile (the operator is one of several processes sharing the machine's cores).
    const others: Record<string, number> = { ...plane.pids, bench: process.pid };
    for (let i = 0; i < 3; i++) {
      const pid = plane.handle.podPid(NS, `demo-agent-${i}`, 'agent');
      if (pid !== undefined) others[`agent-${i}`] = pid;
    }
    const others0 = Object.fromEntries(Object.entries(others).map(([k, pid]) => [k, safeCpu(pid)]));
    const cpu0 = cpuSeconds(operator.pid);
    const t0 = Date.now();
    const progress = setInterval(() => log(`${((Date.now() - t0) / 1000).toFixed(0)} s: ${readyNames.size}/${n} Ready`), 5_000);
    await createRepositories(kc, n);
    log(`created ${n} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const timeoutMs = Number(process.env.BENCH_TIMEOUT_S ?? 600) * 1000;
    const op = operator;
    const report = async (): Promise<number> => {
      const cpuMs = (cpuSeconds(op.pid) - cpu0) * 1000;
      await logCounters(metricsAddr);
      log(`${(repositoryEvents / n).toFixed(2)} writes per Repository until Ready (watch events seen)`);
      log(`CPU s during the run: operator ${(cpuMs / 1000).toFixed(1)}, ${Object.entries(others)
        .map(([k, pid]) => `${k} ${(safeCpu(pid) - others0[k]).toFixed(1)}`).join(', ')}`);
      return cpuMs;
    };
    await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`${readyNames.size}/${n} Ready after ${timeoutMs / 1000} s`)), timeoutMs))])
      .catch(async (err: unknown) => {
        await report(); // where the time went, also when it did not finish
        throw err;
      })
      .finally(() => clearInterval(progress));
    const seconds = (Date.now() - t0) / 1000;
    const cpuMs = await report();
    return {
      bench: 'operator',
      repositories: n,
      seconds_to_ready: round(seconds),
      ready_per_s: round(n / seconds),
      operator_cpu_ms_per_repo: round(cpuMs / n),
      operator_peak_rss_mb: round(peakRssMb(operator.pid)),
      ...(floor ? {
        apiserver_floor_s_per_1000: round(floor.seconds * 1000 / floor.repositories),
        operator_vs_floor: round((seconds / n) / (floor.seconds / floor.repositories)),
        apiserver_floor_cpu_ms_per_repo: round((floor.cpu['kube-apiserver'] ?? NaN) * 1000 / floor.repositories),
      } : {}),
    };
  } finally {
    await ready?.stop();
    await operator?.stop(5_000);
    // BENCH_OPERATOR_LOG=<file>: keep the operator's log (the plane's directory goes with it).
    if (process.env.BENCH_OPERATOR_LOG) copyFileSync(join(plane.dir, 'operator.log'), process.env.BENCH_OPERATOR_LOG);
    await plane.stop();
  }
}

/** The operator's reconcile, agent-call and API-write counters (where the work per repository went). */
async function logCounters(addr: string): Promise<void> {
  try {
    const text = await (await fetch(`http://${addr}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (/^govc_operator_(reconciles_total|agent_calls_total|api_requests_total)\{/.test(line)) log(line);
    }
  } catch (err) {
    log(`metrics not read: ${String(err)}`);
  }
}

function safeCpu(pid: number): number {
  try {
    return cpuSeconds(pid);
  } catch {
    return NaN; // the process is gone
  }
}

const round = (x: number): number => Math.round(x * 100) / 100;

export async function operatorBench(): Promise<void> {
  const results: Result[] = [];
  for (const n of SIZES) results.push(await runSize(n));
  printTable(
    ['repositories', 's to Ready', 'Ready/s', 'operator CPU ms/repo', 'operator peak RSS MB'],
    results.map((r) => [r.repositories, r.seconds_to_ready, r.ready_per_s, r.operator_cpu_ms_per_repo, r.operator_peak_rss_mb]),
  );
  for (const r of results) console.log(JSON.stringify(r));
}
