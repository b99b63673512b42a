// The failover benchmark on bench-cluster.ts: 4 agents (Pods run by the process kubelets), BENCH_FAILOVER_REPOS
// repositories (default 8; 3 copies, quorum writes unless BENCH_FAILOVER_CONCERN says otherwise), the operator as a host process, and writers committing
// continuously to every repository through the Ready agents (as through the client Service).
// Each of BENCH_FAILOVER_TRIALS trials (default 20) SIGKILLs the agent that is primary of the most repositories and
// measures, per repository it led, the time from the SIGKILL to its first acknowledged write: by the new primary, or,
// when no copy could be promoted safely, by the old primary once restarted and confirmed (counted and reported apart);
// the trial's time is the slowest of those. Between trials the cluster settles (killed agent restarted, every
// repository Ready with all copies in sync). Then, on the same cluster with the same writers going,
// BENCH_FAILOVER_HANDOVER_TRIALS drains (default 3; 0 = none) measure the hand-over of a live migration
// (bench/handover.ts); its p99 is migration_handover_p99_s, null when the cluster did not settle for it or a drain
// failed. At the end the writers stop and every write acknowledged in the whole run is looked up on the primary and every in-sync replica:
// acked_lost counts those missing (must be 0 with quorum; BENCH_FAILOVER_CONCERN=async measures what async loses).
// BENCH_FAILOVER_LOG=<file> keeps a copy of the operator log.
// Prints one JSON line: {"bench":"failover","write_concern":…,"trials":…,"p50_s":…,"p99_s":…,"max_s":…,"acked_lost":…,
// "migration_handover_p99_s":…,"migration_handover_samples":…}.
import { waitFor } from '../e2e/harness/util.js';
import type { QuorumWriters } from '../e2e/test/helpers/quorum-writers.js';
import { Role } from '../operator/src/agents/agent-admin.js';
import {
  ackedLost, busiestPrimary, failedWrites, quantile, repositories, round, settled, startBenchCluster, writesFlowing, type BenchCluster, type Settled,
} from './bench-cluster.js';
import { measureHandover, type HandoverWindows } from './handover.js';
import { printTable } from './table.js';

const TRIALS = Number(process.env.BENCH_FAILOVER_TRIALS ?? 20);
const HANDOVER_TRIALS = Number(process.env.BENCH_FAILOVER_HANDOVER_TRIALS ?? 3);
const REPOS = Array.from({ length: Number(process.env.BENCH_FAILOVER_REPOS ?? 8) }, (_, i) => `fo-${i}`);
const AGENTS = 4;
const NS = 'bench';
const CLUSTER = 'demo';
/** A settled cluster: every agent back and every repository with both replicas (3 copies). */
const WANTED = { agents: AGENTS, repos: REPOS, replicas: 2 };

function parseConcern(v: string): 'async' | 'quorum' | 'all' {
  if (v === 'async' || v === 'quorum' || v === 'all') return v;
  throw new Error(`BENCH_FAILOVER_CONCERN must be async, quorum or all, not ${JSON.stringify(v)}`);
}

/** A trial slower than this (the goal) logs where its slowest repository's writes went. */
const SLOW_S = 3;

const log = (m: string): void => void process.stderr.write(`[bench failover] ${m}\n`);

/**
 * The first write of `repo` acknowledged after `killedAt` by another agent, or by the old one (restarted) for a
 * request sent after the kill: acknowledgements of requests it took before dying do not count.
 */
function firstAfter(writers: QuorumWriters, repo: string, killedAt: number, victimAddr: string) {
  return writers.acked.get(repo)!.find((w) => w.ackedAt > killedAt && (w.servedBy !== victimAddr || w.startedAt > killedAt));
}

/** The failover trials; fewer than TRIALS when the cluster stops settling. */
async function failoverTrials(bc: BenchCluster): Promise<{ trials: number[]; restartedServed: number; kills: number[] }> {
  const trials: number[] = [];
  const kills: number[] = [];
  /** Repositories whose first write after the kill was acknowledged by the restarted old primary (failover blocked). */
  let restartedServed = 0;
  for (let trial = 0; trial < TRIALS; trial++) {
    let state: Settled;
    try {
      state = await settled(bc, WANTED, 180_000);
    } catch (err) {
      // A cluster that no longer settles (e.g. a machine overloaded by other work) ends the trials, not the report.
      log(`trial ${trial + 1}: ${String(err)}; reporting the ${trials.length} trials done`);
      break;
    }
    const { ips } = state;
    await writesFlowing(bc.writers, REPOS);
    const { victim, led: names, addr: victimAddr } = busiestPrimary(state, REPOS);
    const killedAt = Date.now();
    kills.push(killedAt);
    bc.plane.handle.signalPod(NS, victim, 'agent', 'SIGKILL');
    // Where the time goes: when the operator recorded each new primary, and when it first acknowledged a write.
    const recorded = new Map<string, number>();
    const serving = new Map<string, number>();
    let blocked = '';
    const done = await waitFor('first acknowledged writes on the new primaries', async () => {
      const now = await repositories(bc);
      for (const n of names) {
        const s = now.get(n)?.status;
        if (!recorded.has(n) && s?.primary && s.primary !== victim) recorded.set(n, Date.now() - killedAt);
        if (recorded.has(n) && !serving.has(n)) {
          // The new primary acts as such with a replica in sync: a quorum write can be acknowledged.
          const st = await bc.admin.repoState(`${ips.get(s!.primary!)}:9090`, bc.token, n).catch(() => null);
          if (st?.role === Role.ROLE_PRIMARY && !st.fenced && st.members.some((m) => m.inSync)) serving.set(n, Date.now() - killedAt);
        }
        const c = (s?.conditions ?? []).find((x) => x.type === 'Ready' && x.status !== 'True');
        if (c && !recorded.has(n)) blocked = `${n}: ${c.reason} ${c.message}`;
      }
      // Normally the new primary; when no copy could be promoted safely, the restarted old primary once confirmed.
      const firsts = names.map((n) => firstAfter(bc.writers, n, killedAt, victimAddr));
      return firsts.every(Boolean) && firsts.map((w) => w!.ackedAt - killedAt);
    }, { timeoutMs: 60_000, intervalMs: 50 });
    const byOld = names.filter((n) => firstAfter(bc.writers, n, killedAt, victimAddr)!.servedBy === victimAddr);
    if (byOld.length > 0) restartedServed += byOld.length;
    const worst = Math.max(...done) / 1000;
    trials.push(worst);
    log(`trial ${trial + 1}/${TRIALS}: SIGKILL ${victim} (primary of ${names.length}); new primaries recorded after ` +
      `${names.map((n) => ((recorded.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, serving with a replica in sync after ` +
      `${names.map((n) => ((serving.get(n) ?? NaN) / 1000).toFixed(2)).join(', ')} s, acknowledged after ${done.map((ms) => (ms / 1000).toFixed(2)).join(', ')} s` +
      (blocked ? `; last seen not ready: ${blocked}` : '') + (byOld.length > 0 ? `; served again by the restarted ${victim}: ${byOld.join(', ')}` : ''));
    if (worst > SLOW_S) {
      // Where a slow one's writes went meanwhile: the agent asked, what it answered, how long it took.
      const slowest = names[done.indexOf(Math.max(...done))];
      log(`  ${slowest}'s writes not acknowledged meanwhile: ${failedWrites(bc.writers, slowest, killedAt, killedAt + Math.max(...done), ips)}`);
    }
  }
  return { trials, restartedServed, kills };
}

/** The hand-over trials on the cluster the failover trials left; undefined when they could not run or failed. */
async function migrationHandover(bc: BenchCluster): Promise<HandoverWindows | undefined> {
  if (HANDOVER_TRIALS <= 0) return undefined;
  try {
    await settled(bc, WANTED, 180_000);
  } catch (err) {
    log(`${String(err)}; no hand-over trials`);
    return undefined;
  }
  try {
    // The writers keep going: ackedLost() checks the writes of the whole run once, at the end.
    return await measureHandover({ ...bc, repos: REPOS, trials: HANDOVER_TRIALS, log: (m) => log(`hand-over ${m}`) }, { checkLost: false });
  } catch (err) {
    log(`hand-over: ${String(err)}; reporting no hand-over time`);
    return undefined;
  }
}

export async function failoverBench(): Promise<void> {
  // async measures the window the README documents: acknowledged writes a failover loses (quorum and all lose none).
  const concern = parseConcern(process.env.BENCH_FAILOVER_CONCERN ?? 'quorum');
  const bc = await startBenchCluster({
    log, agents: AGENTS, repos: REPOS, namespace: NS, cluster: CLUSTER,
    // Restart back-off fixed at 1 s: killing the same agents again within a minute must not slow the next trial's setup.
    backoff: { initialMs: 1_000, maxMs: 1_000, resetAfterMs: 1_000 },
    // The operator's log goes with the plane's directory: keep a copy when asked (where the time went, blocked failovers).
    keepOperatorLog: process.env.BENCH_FAILOVER_LOG,
    writeConcern: concern,
  });
  try {
    log(`${AGENTS} agents and ${REPOS.length} repositories Ready; ${TRIALS} trials`);
    const { trials, restartedServed, kills } = await failoverTrials(bc);
    const handover = await migrationHandover(bc);
    // Each lost write against the nearest SIGKILL (negative: acknowledged before it; the client sees an answer the
    // dying primary sent a few ms after the signal). With async the last moments before a kill are what a failover
    // drops; a loss far from every kill would be a bug.
    const offsets: number[] = [];
    const examples: string[] = [];
    const lost = await ackedLost(bc, bc.writers, WANTED, log, (w) => {
      const k = kills.reduce((best, x) => (Math.abs(w.ackedAt - x) < Math.abs(w.ackedAt - best) ? x : best), kills[0] ?? 0);
      offsets.push(w.ackedAt - k);
      if (examples.length < 8) examples.push(`${w.repo}@${w.seq} by ${w.servedBy} ${w.ackedAt - k} ms from kill ${kills.indexOf(k) + 1}`);
    });
    if (offsets.length > 0) {
      const far = offsets.map(Math.abs).sort((a, b) => a - b);
      log(`lost writes, acknowledged relative to the nearest SIGKILL: |p50| ${quantile(far, 0.5)} ms, |max| ${far[far.length - 1]} ms; e.g. ${examples.join('; ')}`);
    }
    const sorted = [...trials].sort((a, b) => a - b);
    const result = {
      bench: 'failover',
      write_concern: concern,
      trials: trials.length,
      p50_s: round(quantile(sorted, 0.5)),
      p99_s: round(quantile(sorted, 0.99)),
      max_s: round(sorted[sorted.length - 1]),
      acked_lost: lost,
      migration_handover_p99_s: handover ? handover.p99_s : null,
      migration_handover_samples: handover?.samples ?? 0,
    };
    printTable(
      ['trials', 'p50 s', 'p99 s', 'max s', 'acked writes', 'acked lost', 'served by restarted old primary', 'hand-over p99 s'],
      [[result.trials, result.p50_s, result.p99_s, result.max_s, bc.writers.totalAcked, lost, restartedServed, result.migration_handover_p99_s ?? '-']],
    );
    console.log(JSON.stringify(result));
  } finally {
    await bc.stop();
  }
}
