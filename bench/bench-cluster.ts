// The cluster the failover and handover benchmarks run on: a real control plane (e2e/harness), the CRDs, one
// GovcCluster (3 copies a repository, quorum writes unless told otherwise) with its Repositories, the operator as a host process
// (BENCH_OPERATOR_LOG_LEVEL, default warn), and QuorumWriters that write through the Ready agents only, as a client
// of the cluster's Service would. Also the checks both benchmarks make on it: settled() and ackedLost().
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { copyFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ControlPlane } from '../e2e/harness/control-plane.js';
import { repoRoot } from '../e2e/harness/paths.js';
import { OWNER_MARKER, PLANE_MARKER, spawnManaged, type ManagedProcess } from '../e2e/harness/proc.js';
import type { BackoffConfig } from '../e2e/harness/process-kubelet/container.js';
import { delay, freePort, waitFor } from '../e2e/harness/util.js';
import { type AckedWrite, QuorumWriters, verifyAcked } from '../e2e/test/helpers/quorum-writers.js';
import { AgentAdmin } from '../operator/src/agents/agent-admin.js';
import type { RepositoryResource } from '../operator/src/crd/generated-types.js';
import { OperatorMetrics } from '../operator/src/runtime/metrics.js';

const GROUP = { group: 'govc.io', version: 'v1alpha1' };

/** Where a cluster is and how to talk to its agents. */
export interface ClusterRef {
  kc: KubeConfig;
  admin: AgentAdmin;
  /** The cluster's admin token. */
  token: string;
  namespace: string;
  cluster: string;
}

export interface Settled {
  repos: Map<string, RepositoryResource>;
  /** Agent Pod name → Pod IP. */
  ips: Map<string, string>;
}

export interface SettleOptions {
  /** Agent Pods wanted. */
  agents: number;
  repos: readonly string[];
  /** Replicas each repository must have besides its primary; any number above 0 when omitted. */
  replicas?: number;
}

export const podReady = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
export const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
export const round = (x: number): number => Math.round(x * 1000) / 1000;

export async function agentPods(c: Pick<ClusterRef, 'kc' | 'namespace' | 'cluster'>): Promise<V1Pod[]> {
  return (await c.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: c.namespace, labelSelector: `govc.io/cluster=${c.cluster}` })).items;
}

export async function repositories(c: Pick<ClusterRef, 'kc' | 'namespace'>): Promise<Map<string, RepositoryResource>> {
  const list = (await c.kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...GROUP, plural: 'repositories', namespace: c.namespace })) as { items: RepositoryResource[] };
  return new Map(list.items.map((r) => [r.metadata.name!, r]));
}

/**
 * Every wanted agent Ready and none draining; every repository Ready with all its replicas in sync, in the status and
 * as its primary says now (the status may lag).
 */
export async function settled(c: ClusterRef, o: SettleOptions, timeoutMs: number): Promise<Settled> {
  return waitFor('a settled cluster', async () => {
    const pods = await agentPods(c);
    if (pods.length !== o.agents || !pods.every(podReady) || pods.some((p) => p.metadata?.annotations?.['govc.io/draining'])) return false;
    const repos = await repositories(c);
    const ips = new Map(pods.map((p) => [p.metadata!.name!, p.status!.podIP!]));
    for (const n of o.repos) {
      const s = repos.get(n)?.status;
      const replicas = s?.replicas ?? [];
      if (s?.phase !== 'Ready' || !s.primary || !ips.has(s.primary)) return false;
      if (o.replicas === undefined ? replicas.length === 0 : replicas.length !== o.replicas) return false;
      if ([...(s.inSyncReplicas ?? [])].sort().join() !== [...replicas].sort().join()) return false;
    }
    for (const n of o.repos) {
      const s = repos.get(n)!.status!;
      const st = await c.admin.repoState(`${ips.get(s.primary!)}:9090`, c.token, n).catch(() => null);
      if (!st || st.epoch !== s.epoch || st.fenced || st.members.filter((m) => m.connected && m.inSync).length !== s.replicas!.length) return false;
    }
    return { repos, ips };
  }, { timeoutMs, intervalMs: 250 });
}

/** Waits until every repository had a write acknowledged in the last 2 s: a trial starts on a cluster taking writes. */
export async function writesFlowing(writers: QuorumWriters, repos: readonly string[]): Promise<void> {
  await waitFor('writes on every repository', () => repos.every((r) => writers.firstAckAfter(r, Date.now() - 2_000)), { timeoutMs: 60_000 });
}

/** The agent that is primary of the most of `repos` (a trial's victim), the repositories it leads and its gRPC address. */
export function busiestPrimary(state: Settled, repos: readonly string[]): { victim: string; led: string[]; addr: string } {
  const led = new Map<string, string[]>();
  for (const n of repos) {
    const primary = state.repos.get(n)!.status!.primary!;
    led.set(primary, [...(led.get(primary) ?? []), n]);
  }
  const [victim, names] = [...led].sort((a, b) => b[1].length - a[1].length)[0];
  return { victim, led: names, addr: `${state.ips.get(victim)}:9090` };
}

/**
 * Stops the writers and counts the acknowledged writes missing from any copy of their repository, once the cluster
 * settled and the copies converged; a cluster that does not settle is checked as it is (a report, not a crash).
 */
/** The writes of `repo` started in [from, to) that failed: when, to which agent, what came back, how long it took. */
export function failedWrites(writers: QuorumWriters, repo: string, from: number, to: number, ips: ReadonlyMap<string, string>): string {
  const agentOf = new Map([...ips].map(([name, ip]) => [ip, name]));
  const name = (addr: string) => agentOf.get(addr.split(':')[0]) ?? addr;
  const failed = writers.failedBetween(repo, from, to).map((f) =>
    `+${f.startedAt - from}ms ${name(f.target)} ${f.outcome}${f.code ? ` ${f.code}` : ''}${f.servedBy ? ` by ${name(f.servedBy)}` : ''} in ${f.endedAt - f.startedAt}ms`);
  return failed.join('; ') || 'none (one request in flight throughout)';
}

async function retry<T>(fn: () => Promise<T>, attempts: number, pauseMs: number): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await delay(pauseMs);
    }
  }
}

/**
 * Stops the writers and counts the acknowledged writes missing from the primary or an in-sync replica. `onLost` gets
 * each lost write (where in the run it was acknowledged: the async window shows there).
 */
export async function ackedLost(
  c: ClusterRef, writers: QuorumWriters, o: SettleOptions, log: (m: string) => void, onLost?: (w: AckedWrite) => void,
): Promise<number> {
  await writers.stop();
  const { repos, ips } = await settled(c, o, 180_000).catch(async (err: unknown): Promise<Settled> => {
    log(`${String(err)}; verifying the copies as they are`);
    return { repos: await repositories(c), ips: new Map((await agentPods(c)).map((p) => [p.metadata!.name!, p.status?.podIP ?? ''])) };
  });
  let lost = 0;
  for (const n of o.repos) {
    const s = repos.get(n)?.status;
    // The primary and the replicas its status calls in sync: a copy still catching up may lack recent writes.
    const inSync = new Set(s?.inSyncReplicas ?? []);
    const copies = new Map([s?.primary ?? '', ...(s?.replicas ?? []).filter((r) => inSync.has(r))].filter(Boolean).map((a) => [a, ips.get(a) ?? '']));
    // Copies agree once the last writes reached every in-sync replica.
    await waitFor(`${n} copies converged`, async () => {
      const states = await Promise.all([...copies.values()].map((ip) => c.admin.repoState(`${ip}:9090`, c.token, n)));
      return states.every((x) => x && x.appliedSeq === states[0]!.appliedSeq);
    }, { timeoutMs: 60_000 }).catch((err: unknown) => log(`${n}: ${String(err)}; verifying anyway`));
    const missing = new Set<string>();
    // A copy restarting just then refuses the connection: tried again a few times before the run gives up on it.
    const checks = await retry(() => verifyAcked(c.admin, c.token, n, copies, writers.acked.get(n)!), 5, 2_000);
    for (const check of checks) for (const sha of check.missing) missing.add(sha);
    lost += missing.size;
    if (onLost) for (const w of writers.acked.get(n)!) if (missing.has(w.sha)) onLost(w);
  }
  return lost;
}

export interface BenchClusterOptions {
  log: (m: string) => void;
  agents: number;
  repos: readonly string[];
  namespace: string;
  cluster: string;
  /** The process kubelets' restart back-off (default: theirs). */
  backoff?: BackoffConfig;
  /** A file to copy the operator's log to on stop (the plane's directory goes with the plane). */
  keepOperatorLog?: string;
  /** The cluster's default write concern (default quorum). */
  writeConcern?: 'async' | 'quorum' | 'all';
}

export interface BenchCluster extends ClusterRef {
  plane: ControlPlane;
  /** Started, writing to every repository. */
  writers: QuorumWriters;
  /** HTTP addresses of the Ready agents, as last seen. */
  endpoints(): string[];
  /** Stops the writers, the operator and the plane. */
  stop(): Promise<void>;
}

/** Runs a kubectl command against the plane; a non-zero exit throws with its stderr. */
export async function kubectl(plane: ControlPlane, args: string[], input?: string): Promise<void> {
  const r = await plane.handle.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

/**
 * The operator as a host process on the plane, logging to the plane's operator.log (BENCH_OPERATOR_LOG_LEVEL, default
 * warn). `httpAddr`: its metrics/probe listener (a free loopback port by default); `env` and `nodeArgs` add to it.
 */
export async function startOperator(
  plane: ControlPlane, o: { httpAddr?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<ManagedProcess> {
  return spawnManaged({
    name: 'operator',
    command: process.execPath,
    args: [...(o.nodeArgs ?? []), join(repoRoot, 'dist/operator/src/main.js')],
    logFile: join(plane.dir, 'operator.log'),
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      KUBECONFIG: plane.handle.kubeconfigPath,
      GOVC_LEASE_NAMESPACE: 'default',
      GOVC_OPERATOR_HTTP_ADDR: o.httpAddr ?? `127.0.0.1:${await freePort()}`,
      GOVC_LOG_LEVEL: process.env.BENCH_OPERATOR_LOG_LEVEL ?? 'warn',
      ...o.env,
      [PLANE_MARKER]: plane.id,
      [OWNER_MARKER]: String(process.pid),
    },
  });
}

/** Starts the plane, the cluster and the operator, waits until the cluster settled, then starts the writers. */
export async function startBenchCluster(o: BenchClusterOptions): Promise<BenchCluster> {
  const { log, namespace, cluster } = o;
  log('starting a control plane');
  const plane = await ControlPlane.start({ log, backoff: o.backoff });
  const admin = new AgentAdmin(new OperatorMetrics());
  const kc = plane.handle.adminKubeConfig();
  let operator: ManagedProcess | undefined;
  let endpoints: string[] = [];
  let refreshing = true;
  let refresher: Promise<void> | undefined;
  const writers = new QuorumWriters(o.repos, () => endpoints);
  const stop = async (): Promise<void> => {
    refreshing = false;
    await refresher;
    await writers.stop();
    admin.close();
    await operator?.stop(5_000);
    if (o.keepOperatorLog) {
      await copyFile(join(plane.dir, 'operator.log'), o.keepOperatorLog).catch(() => undefined);
      // The agents' logs beside it (<file>.<pod>.log): stalls, fences, snapshots.
      const pods = join(plane.dir, 'kubelet', 'pods', namespace);
      for (const dir of await readdir(pods).catch(() => [] as string[])) {
        await copyFile(join(pods, dir, 'agent.log'), `${o.keepOperatorLog}.${dir.split('_')[0]}.log`).catch(() => undefined);
      }
    }
    await plane.stop();
  };
  try {
    await kubectl(plane, ['apply', '--server-side', '-f', join(repoRoot, 'crds')]);
    await kubectl(plane, ['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/govcclusters.govc.io', 'crd/repositories.govc.io']);
    await kubectl(plane, ['create', 'namespace', namespace]);
    await kubectl(plane, ['apply', '-n', namespace, '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: cluster }, spec: { agents: o.agents, image: 'govc/agent:0.1.0', defaults: { replicationFactor: 3, writeConcern: o.writeConcern ?? 'quorum' } } },
        ...o.repos.map((name) => ({ apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name }, spec: { clusterRef: cluster } })),
      ],
    }));
    operator = await startOperator(plane);
    const secret = await waitFor('the admin token Secret', () =>
      kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace, name: `${cluster}-admin-token` }), { timeoutMs: 120_000 });
    const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    const ref: ClusterRef = { kc, admin, token, namespace, cluster };
    await settled(ref, { agents: o.agents, repos: o.repos, replicas: 2 }, 240_000);
    refresher = (async () => {
      while (refreshing) {
        try {
          endpoints = (await agentPods(ref)).filter(podReady).map((p) => `${p.status!.podIP}:8080`);
        } catch {
          // keep the last list
        }
        await delay(250);
      }
    })();
    writers.start();
    return { ...ref, plane, writers, endpoints: () => endpoints, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
