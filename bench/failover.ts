// The failover benchmark: a real control plane (e2e/harness), the CRDs, one GovcCluster of 4 agents (Pods run by the
// process kubelets) with BENCH_FAILOVER_REPOS repositories (3 copies, quorum writes), and the operator as a host
// process. Writers commit continuously to every repository through the Ready agents (as through the client Service).
// Each trial SIGKILLs the agent that is primary of the most repositories and measures, per repository it led, the
// time from the SIGKILL to its first acknowledged write: by the new primary, or, when no copy could be promoted
// safely, by the old primary once restarted and confirmed (counted and reported apart); the trial's time is the
// slowest of those. Between trials the cluster settles (killed agent restarted, every repository Ready with all copies
// in sync). At the end every acknowledged commit is looked up on every copy: acked_lost counts those missing.
// Prints one JSON line: {"bench":"failover","trials":…,"p50_s":…,"p99_s":…,"max_s":…,"acked_lost":…,"migration_handover_p99_s":null}.
import { CoreV1Api, CustomObjectsApi, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { join } from 'node:path';
import { ControlPlane } from '../e2e/harness/control-plane.js';
import { repoRoot } from '../e2e/harness/paths.js';
import { OWNER_MARKER, PLANE_MARKER, spawnManaged, type ManagedProcess } from '../e2e/harness/proc.js';
import { delay, freePort, waitFor } from '../e2e/harness/util.js';
import { QuorumWriters, verifyAcked } from '../e2e/test/helpers/quorum-writers.js';
import { AgentAdmin, Role } from '../operator/src/agents/agent-admin.js';
import type { RepositoryResource } from '../operator/src/crd/generated-types.js';
import { OperatorMetrics } from '../operator/src/runtime/metrics.js';
import { printTable } from './table.js';

const TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 20);
const REPOS = Array.from({ length: Number(process.env.BENCH_FAILOVER_REPOS ?? 8) }, (_, i) => `fo-${i}`);
const AGENTS = 4;
const NS = 'bench';
const CLUSTER = 'demo';
const GROUP = { group: 'govc.io', version: 'v1alpha1' };

const log = (m: string): void => void process.stderr.write(`[bench failover] ${m}\n`);

async function kubectl(plane: ControlPlane, args: string[], input?: string): Promise<void> {
  const r = await plane.handle.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
}

async function startOperator(plane: ControlPlane): Promise<ManagedProcess> {
  return spawnManaged({
    name: 'operator',
    command: process.execPath,
    args: [join(repoRoot, 'dist/operator/src/main.js')],
    logFile: join(plane.dir, 'operator.log'),
    cwd: repoRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      KUBECONFIG: plane.handle.kubeconfigPath,
      GOVC_LEASE_NAMESPACE: 'default',
      GOVC_OPERATOR_HTTP_ADDR: `127.0.0.1:${await freePort()}`,
      GOVC_LOG_LEVEL: 'warn',
      [PLANE_MARKER]: plane.id,
      [OWNER_MARKER]: String(process.pid),
    },
  });
}

async function agentPods(kc: KubeConfig): Promise<V1Pod[]> {
  return (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: NS, labelSelector: `govc.io/cluster=${CLUSTER}` })).items;
}

const podReady = (p: V1Pod): boolean => (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

async function repositories(kc: KubeConfig): Promise<Map<string, RepositoryResource>> {
  const list = (await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject({ ...GROUP, plural: 'repositories', namespace: NS })) as { items: RepositoryResource[] };
  return new Map(list.items.map((r) => [r.metadata.name!, r]));
}

/** Every agent Ready and every repository Ready with its two replicas in sync. */
async function settled(kc: KubeConfig, admin: AgentAdmin, token: string, timeoutMs: number): Promise<{ repos: Map<string, RepositoryResource>; ips: Map<string, string> }> {
  return waitFor('a settled cluster', async () => {
    const pods = await agentPods(kc);
    if (pods.length !== AGENTS || !pods.every(podReady)) return false;
    const repos = await repositories(kc);
    const ok = REPOS.every((n) => {
      const s = repos.get(n)?.status;
      return s?.phase === 'Ready' && (s.replicas ?? []).length === 2 && [...(s.inSyncReplicas ?? [])].sort().join() === [...s.replicas!].sort().join();
    });
    if (!ok) return false;
    const ips = new Map(pods.map((p) => [p.metadata!.name!, p.status!.podIP!]));
    // The status may lag: ask each primary whether both replicas of its epoch are connected and in sync now.
    for (const n of REPOS) {
      const s = repos.get(n)!.status!;
      const st = await admin.repoState(`${ips.get(s.primary!)}:9090`, token, n).catch(() => null);
      if (!st || st.epoch !== s.epoch || st.fenced || st.members.filter((m) => m.connected && m.inSync).length !== 2) return false;
    }
    return { repos, ips };
  }, { timeoutMs, intervalMs: 250 });
}

/**
 * The first write of `repo` acknowledged after `killedAt` by another agent, or by the old one (restarted) for a
 * request sent after the kill: acknowledgements of requests it took before dying do not count.
 */
function firstAfter(writers: QuorumWriters, repo: string, killedAt: number, victimAddr: string) {
  return writers.acked.get(repo)!.find((w) => w.ackedAt > killedAt && (w.servedBy !== victimAddr || w.startedAt > killedAt));
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const round = (x: number): number => Math.round(x * 1000) / 1000;

export async function failoverBench(): Promise<void> {
  log('starting a control plane');
  // Restart back-off fixed at 1 s: killing the same agents again within a minute must not slow the next trial's setup.
  const plane = await ControlPlane.start({ log, backoff: { initialMs: 1_000, maxMs: 1_000, resetAfterMs: 1_000 } });
  let operator: ManagedProcess | undefined;
  let writers: QuorumWriters | undefined;
  let refreshing = true;
  const admin = new AgentAdmin(new OperatorMetrics());
  try {
    const kc = plane.handle.adminKubeConfig();
    await kubectl(plane, ['apply', '--server-side', '-f', join(repoRoot, 'crds')]);
    await kubectl(plane, ['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/govcclusters.govc.io', 'crd/repositories.govc.io']);
    await kubectl(plane, ['create', 'namespace', NS]);
    await kubectl(plane, ['apply', '-n', NS, '-f', '-'], JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [
        { apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: CLUSTER }, spec: { agents: AGENTS, image: 'govc/agent:0.1.0', defaults: { replicationFactor: 3, writeConcern: 'quorum' } } },
        ...REPOS.map((name) => ({ apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name }, spec: { clusterRef: CLUSTER } })),
      ],
    }));
    operator = await startOperator(plane);
    const secret = await waitFor('the admin token Secret', () =>
      kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: NS, name: `${CLUSTER}-admin-token` }), { timeoutMs: 120_000 });
    const token = Buffer.from(secret.data?.token ?? '', 'base64').toString('utf8');
    await settled(kc, admin, token, 240_000);
    log(`${AGENTS} agents and ${REPOS.length} repositories Ready; ${TRIALS} trials`);

    let endpoints: string[] = [];
    const refresher = (async () => {
      while (refreshing) {
        try {
          endpoints = (await agentPods(kc)).filter(podReady).map((p) => `${p.status!.podIP}:8080`);
        } catch {
          // keep the last list
        }
        await delay(250);
      }
    })();
    writers = new QuorumWriters(REPOS, () => endpoints);
    writers.start();

    const trials: number[] = [];
    /** Repositories whose first write after the kill was acknowledged by the restarted old primary (failover blocked). */
    let restartedServed = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      const { repos, ips } = await settled(kc, admin, token, 180_000);
      await waitFor('writes on every repository', () => REPOS.every((r) => writers!.firstAckAfter(r, Date.now() - 2_000)), { timeoutMs: 60_000 });
      const led = new Map<string, string[]>();
      for (const n of REPOS) {
        const primary = repos.get(n)!.status!.primary!;
        led.set(primary, [...(led.get(primary) ?? []), n]);
      }
      const [victim, names] = [...led].sort((a, b) => b[1].length - a[1].length)[0];
      const victimAddr = `${ips.get(victim)}:9090`;
      const killedAt = Date.now();
      plane.handle.signalPod(NS, victim, 'agent', 'SIGKILL');
      // Where the time goes: when the operator recorded each new primary, and when it first acknowledged a write.
      const recorded = new Map<string, number>();
      const serving = new Map<string, number>();
      let blocked = '';
      const done = await waitFor('first acknowledged writes on the new primaries', async () => {
        const now = await repositories(kc);
        for (const n of names) {
          const s = now.get(n)?.status;
          if (!recorded.has(n) && s?.primary && s.primary !== victim) recorded.set(n, Date.now() - killedAt);
          if (recorded.has(n) && !serving.has(n)) {
            // The new primary acts as such with a replica in sync: a quorum write can be acknowledged.
            const st = await admin.repoState(`${ips.get(s!.primary!)}:9090`, token, n).catch(() => null);
            if (st?.role === Role.ROLE_PRIMARY && !st.fenced && st.members.some((m) => m.inSync)) serving.set(n, Date.now() - killedAt);
          }
          const c = (s?.conditions ?? []).find((x) => x.type === 'Ready' && x.status !== 'True');
          if (c && !recorded.has(n)) blocked = `${n}: ${c.reason} ${c.message}`;
        }
        // Normally the new primary; when no copy could be promoted safely, the restarted old primary once confirmed.
        const firsts = names.map((n) => firstAfter(writers!, n, killedAt, victimAddr));
        return firsts.every(Boolean) && firsts.map((w) => w!.ackedAt - killedAt);
      }, { timeoutMs: 60_000, intervalMs: 50 });
      const byOld = names.filter((n) => firstAfter(writers!, n, killedAt, victimAddr)!.servedBy === victimAddr);
      if (byOld.length > 0) restartedServed += byOld.length;
      const worst = Math.max(...done) / 1000;
      trials.push(worst);
      log(`trial ${trial + 1}/${TRIALS}: SIGKILL ${victim} (primary of ${names.length}); new primaries recorded after ` +
        `${names.map((n) => ((recorded.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, serving with a replica in sync after ` +
        `${names.map((n) => ((serving.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, acknowledged after ${done.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s` +
        (blocked ? `; last seen not ready: ${blocked}` : '') + (byOld.length > 0 ? `; served again by the restarted ${victim}: ${byOld.join(', ')}` : ''));
    }

    await writers.stop();
    refreshing = false;
    await refresher;
    const { repos, ips } = await settled(kc, admin, token, 180_000);
    let lost = 0;
    for (const n of REPOS) {
      const s = repos.get(n)!.status!;
      const copies = new Map([s.primary!, ...s.replicas!].map((a) => [a, ips.get(a)!]));
      const acked = writers.acked.get(n)!;
      // Copies agree once the last writes reached every in-sync replica.
      await waitFor(`${n} copies converged`, async () => {
        const states = await Promise.all([...copies.values()].map((ip) => admin.repoState(`${ip}:9090`, token, n)));
        return states.every((x) => x && x.appliedSeq === states[0]!.appliedSeq);
      }, { timeoutMs: 60_000 }).catch((err: unknown) => log(`${n}: ${String(err)}; verifying anyway`));
      const missing = new Set<string>();
      for (const c of await verifyAcked(admin, token, n, copies, acked)) for (const sha of c.missing) missing.add(sha);
      lost += missing.size;
    }
    const sorted = [...trials].sort((a, b) => a - b);
    const result = {
      bench: 'failover',
      trials: trials.length,
      p50_s: round(quantile(sorted, 0.5)),
      p99_s: round(quantile(sorted, 0.99)),
      max_s: round(sorted[sorted.length - 1]),
      acked_lost: lost,
      migration_handover_p99_s: null,
    };
    printTable(
      ['trials', 'p50 s', 'p99 s', 'max s', 'acked writes', 'acked lost', 'served by restarted old primary'],
      [[result.trials, result.p50_s, result.p99_s, result.max_s, writers.totalAcked, lost, restartedServed]],
    );
    console.log(JSON.stringify(result));
  } finally {
    refreshing = false;
    await writers?.stop();
    admin.close();
    await operator?.stop(5_000);
    await plane.stop();
  }
}
