// The hand-over time of a live migration: on a running cluster with quorum writers going, each trial drains the agent
// that is primary of the most repositories the way scale-in does (its Pod annotated govc.io/draining=true), so the
// operator hands each primary over to an in-sync replica, moves every copy off it, deletes the drained Pod and
// recreates the ordinal empty (it is still wanted). Per repository the agent led, the write-unavailability window is
// measured from the last write acknowledged by the old primary to the first acknowledged by another agent. At the end
// the writers stop and every acknowledged write is looked up on the primary and every in-sync replica (acked_lost).
// `measureHandover(ctx)` runs on a cluster someone else set up; bench/failover.ts runs it after its own trials with
// `{ checkLost: false }`, as it checks the writes of the whole run itself. `handoverBench()` sets up its own
// (bench-cluster.ts: 4 agents, BENCH_HANDOVER_REPOS repositories (default 8), 3 copies, quorum) and runs
// BENCH_HANDOVER_TRIALS drains (default 10); it prints one JSON line:
// {"bench":"handover","trials":…,"samples":…,"p50_s":…,"p99_s":…,"max_s":…,"acked_lost":…}.
import { CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../e2e/harness/util.js';
import type { QuorumWriters } from '../e2e/test/helpers/quorum-writers.js';
import { Role } from '../operator/src/agents/agent-admin.js';
import type { RepositoryResource } from '../operator/src/crd/generated-types.js';
import { mergePatch } from '../operator/src/kube/kube-clients.js';
import {
  ackedLost, agentPods, busiestPrimary, failedWrites, quantile, repositories, round, settled, startBenchCluster, writesFlowing, type ClusterRef,
} from './bench-cluster.js';
import { printTable } from './table.js';

export interface HandoverContext extends ClusterRef {
  /** Already started, writing to every repository of `repos`. */
  writers: QuorumWriters;
  repos: readonly string[];
  /** Drains to run (each hands over every primary of the drained agent). */
  trials: number;
  log?: (m: string) => void;
}

/** The hand-over windows of a run. */
export interface HandoverWindows {
  trials: number;
  /** Repositories handed over (one window each). */
  samples: number;
  p50_s: number;
  p99_s: number;
  max_s: number;
}

export interface HandoverResult extends HandoverWindows {
  /** Acknowledged writes missing from a copy afterwards; must be 0. */
  acked_lost: number;
}

/**
 * The write-unavailability window of `repo` around a hand-over away from `oldAddr` started at `at`: from the last
 * write acknowledged by the old primary (at or before the first by another agent) to the first acknowledged by another
 * agent after `at`; undefined while no other agent acknowledged one.
 */
export function handoverWindow(
  acked: readonly { servedBy: string; ackedAt: number }[], oldAddr: string, at: number,
): { lastOld: number; firstNew: number; ms: number } | undefined {
  const first = acked.find((w) => w.ackedAt > at && w.servedBy !== oldAddr);
  if (!first) return undefined;
  let lastOld = at;
  for (const w of acked) if (w.servedBy === oldAddr && w.ackedAt <= first.ackedAt) lastOld = w.ackedAt;
  return { lastOld, firstNew: first.ackedAt, ms: first.ackedAt - lastOld };
}

/**
 * Runs `ctx.trials` drains. Then, unless `checkLost` is false, stops the writers and counts the acknowledged writes
 * lost; with false the writers keep going and the caller checks them once for its whole run.
 */
export async function measureHandover(ctx: HandoverContext, opts: { checkLost: false }): Promise<HandoverWindows>;
export async function measureHandover(ctx: HandoverContext, opts?: { checkLost?: true }): Promise<HandoverResult>;
export async function measureHandover(ctx: HandoverContext, opts: { checkLost?: boolean } = {}): Promise<HandoverWindows | HandoverResult> {
  const log = ctx.log ?? (() => {});
  const core = ctx.kc.makeApiClient(CoreV1Api);
  const wanted = { agents: (await agentPods(ctx)).length, repos: ctx.repos };
  const windows: number[] = [];
  for (let trial = 0; trial < ctx.trials; trial++) {
    const state = await settled(ctx, wanted, 240_000);
    const { ips } = state;
    await writesFlowing(ctx.writers, ctx.repos);
    const { victim, led: names, addr: victimAddr } = busiestPrimary(state, ctx.repos);
    const at = Date.now();
    // What scale-in does to an agent (cluster-reconciler.ts): mark it draining. The operator takes it from there:
    // hands each primary over, tells the agent to step down (Admin.Drain) once it leads nothing, moves the replicas.
    await core.patchNamespacedPod({ namespace: ctx.namespace, name: victim, body: { metadata: { annotations: { 'govc.io/draining': 'true' } } } }, mergePatch);
    // Where the time goes: when the status named each new primary, and when that agent acted as primary.
    const recorded = new Map<string, number>();
    const serving = new Map<string, number>();
    const found = await waitFor('writes acknowledged by the new primaries', async () => {
      const now = await repositories(ctx).catch(() => new Map<string, RepositoryResource>());
      for (const n of names) {
        const s = now.get(n)?.status;
        if (!recorded.has(n) && s?.primary && s.primary !== victim) recorded.set(n, Date.now() - at);
        if (recorded.has(n) && !serving.has(n) && ips.has(s!.primary!)) {
          const st = await ctx.admin.repoState(`${ips.get(s!.primary!)}:9090`, ctx.token, n).catch(() => null);
          if (st?.role === Role.ROLE_PRIMARY && !st.fenced) serving.set(n, Date.now() - at);
        }
      }
      const w = names.map((n) => handoverWindow(ctx.writers.acked.get(n)!, victimAddr, at));
      return w.every(Boolean) && (w as NonNullable<(typeof w)[number]>[]);
    }, { timeoutMs: 120_000, intervalMs: 50 }).catch(async (err: Error) => {
      const now = await repositories(ctx);
      const stuck = names.filter((n) => !handoverWindow(ctx.writers.acked.get(n)!, victimAddr, at)).map((n) => {
        const s = now.get(n)?.status;
        return `${n}: primary ${s?.primary} epoch ${s?.epoch} ${s?.phase} ${JSON.stringify((s?.conditions ?? []).filter((c) => c.status !== 'True'))}`;
      });
      throw new Error(`${err.message} (drained ${victim}); ${stuck.join('; ')}`);
    });
    for (const w of found) windows.push(w.ms / 1000);
    log(`trial ${trial + 1}/${ctx.trials}: drained ${victim} (primary of ${names.length}); hand-over windows ` +
      `${found.map((w) => (w.ms / 1000).toFixed(3)).join(', ')} s (after the drain: last old ack ${found.map((w) => ((w.lastOld - at) / 1000).toFixed(2)).join(', ')} s, ` +
      `recorded ${names.map((n) => ((recorded.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, serving ${names.map((n) => ((serving.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, ` +
      `first new ack ${found.map((w) => ((w.firstNew - at) / 1000).toFixed(2)).join(', ')} s)`);
    // A window past the goal: where that repository's writes went meanwhile (the agent asked, what it answered).
    const slow = found.findIndex((w) => w.ms > 3_000);
    if (slow >= 0) log(`  ${names[slow]}'s writes not acknowledged meanwhile: ${failedWrites(ctx.writers, names[slow], at, found[slow].firstNew, ips)}`);
    // The drained Pod goes once nothing names it, and its ordinal comes back empty (settled() waits for that).
    await waitFor(`${victim} replaced`, async () => {
      const pod = (await agentPods(ctx)).find((p) => p.metadata?.name === victim);
      return pod !== undefined && !pod.metadata?.annotations?.['govc.io/draining'];
    }, { timeoutMs: 180_000, intervalMs: 250 });
  }
  const result: HandoverWindows = { trials: ctx.trials, samples: windows.length, ...summary(windows) };
  if (opts.checkLost === false) return result;
  return { ...result, acked_lost: await ackedLost(ctx, ctx.writers, wanted, log) };
}

function summary(windows: number[]): Pick<HandoverWindows, 'p50_s' | 'p99_s' | 'max_s'> {
  const sorted = [...windows].sort((a, b) => a - b);
  return { p50_s: round(quantile(sorted, 0.5)), p99_s: round(quantile(sorted, 0.99)), max_s: round(sorted[sorted.length - 1]) };
}

// ---- the standalone benchmark: `npm run bench -- handover` ----

const AGENTS = 4;

export async function handoverBench(): Promise<void> {
  const log = (m: string): void => void process.stderr.write(`[bench handover] ${m}\n`);
  const repos = Array.from({ length: Number(process.env.BENCH_HANDOVER_REPOS ?? 8) }, (_, i) => `ho-${i}`);
  const trials = Number(process.env.BENCH_HANDOVER_TRIALS ?? 10);
  const bc = await startBenchCluster({ log, agents: AGENTS, repos, namespace: 'bench', cluster: 'demo' });
  try {
    log(`${AGENTS} agents and ${repos.length} repositories Ready; ${trials} drains`);
    const result = await measureHandover({ ...bc, repos, trials, log });
    printTable(
      ['trials', 'samples', 'p50 s', 'p99 s', 'max s', 'acked writes', 'acked lost'],
      [[result.trials, result.samples, result.p50_s, result.p99_s, result.max_s, bc.writers.totalAcked, result.acked_lost]],
    );
    console.log(JSON.stringify({ bench: 'handover', ...result }));
  } finally {
    await bc.stop();
  }
}
