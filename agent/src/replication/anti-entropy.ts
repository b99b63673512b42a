// Periodic anti-entropy: each replica that is in sync compares its checksum with its primary's at the same seq; a
// difference is counted and repaired by a full snapshot. Differing seqs mean writes are in flight: checked next round.
// Proportional to change: a replica that has applied nothing since it last matched its primary cannot have drifted
// through replication, so a round checks the replicas that moved (or were never verified: new roles, restarts,
// resyncs) plus a slice of the unchanged ones, so each is still re-verified every SWEEP_ROUNDS rounds (bad memory,
// bugs). 10,000 idle repositories cost 10,000 / SWEEP_ROUNDS checksum calls a round instead of 10,000.
import { ReplicationManager } from './manager.js';
import { PeerConnector } from './peer.js';
import { ReplicaRole } from './replica-role.js';

/** Every unchanged replica is re-verified at least once in this many rounds (10 min at the default 30 s). */
export const SWEEP_ROUNDS = 20;
/** Checksum calls in flight at once. */
const CONCURRENCY = 8;

/** When a replica last matched its primary: at which applied seq, in which round. */
export interface Verified {
  seq: number;
  round: number;
}

/**
 * Which replicas a round checks: those whose applied seq differs from the one they last matched at (or that never
 * matched), then the 1/sweepRounds of the unchanged ones verified longest ago.
 */
export function planRound<T>(replicas: ReadonlyArray<{ replica: T; seq: number; verified: Verified | undefined }>, sweepRounds = SWEEP_ROUNDS): T[] {
  const due: T[] = [];
  const unchanged: Array<{ replica: T; round: number }> = [];
  for (const r of replicas) {
    if (r.verified?.seq === r.seq) unchanged.push({ replica: r.replica, round: r.verified.round });
    else due.push(r.replica);
  }
  unchanged.sort((a, b) => a.round - b.round);
  const sweep = Math.ceil(unchanged.length / sweepRounds);
  for (let i = 0; i < sweep; i++) due.push(unchanged[i].replica);
  return due;
}

export function startAntiEntropy(manager: ReplicationManager, peers: PeerConnector, intervalMs: number,
  log: { warn(msg: string, meta?: Record<string, unknown>): void }): () => void {
  // The seq at which each replica role last matched its primary; a new role (reassignment, restart) starts unverified.
  const verified = new WeakMap<ReplicaRole, Verified>();
  let rounds = 0;
  let running = false;

  const check = async (replica: ReplicaRole): Promise<void> => {
    const a = replica.assignment;
    try {
      const theirs = await peers.checksum(a.primaryAddr, a.repo, a.epoch);
      if (!replica.inSync) return;
      const mine = replica.checksum();
      manager.metrics.antiEntropyChecks.inc();
      if (theirs.seq !== mine.seq) return;
      if (theirs.checksum === mine.checksum) {
        verified.set(replica, { seq: mine.seq, round: rounds });
        return;
      }
      verified.delete(replica);
      manager.metrics.antiEntropyMismatches.inc({ repo: a.repo });
      log.warn('anti-entropy: replica differs from its primary; resyncing from a snapshot', { repo: a.repo, seq: mine.seq });
      replica.resync();
    } catch {
      // primary unreachable or no longer primary: the stream's own retries deal with it
    }
  };

  const round = async () => {
    if (running) return;
    running = true;
    try {
      rounds++;
      const due = planRound(manager.replicas().filter((r) => r.inSync).map((replica) => ({
        replica, seq: replica.appliedSeq(), verified: verified.get(replica),
      })));
      let next = 0;
      await Promise.all(Array.from({ length: Math.min(CONCURRENCY, due.length) }, async () => {
        while (next < due.length) await check(due[next++]);
      }));
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
