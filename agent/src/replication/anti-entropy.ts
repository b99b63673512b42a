// Periodic anti-entropy: each replica that is in sync compares its checksum with its primary's at the same seq; a
// difference is counted and repaired by a full snapshot. Differing seqs mean writes are in flight: checked next round.
import { ReplicationManager } from './manager.js';
import { PeerConnector } from './peer.js';

export function startAntiEntropy(manager: ReplicationManager, peers: PeerConnector, intervalMs: number,
  log: { warn(msg: string, meta?: Record<string, unknown>): void }): () => void {
  let running = false;
  const round = async () => {
    if (running) return;
    running = true;
    try {
      for (const replica of manager.replicas()) {
        if (!replica.inSync) continue;
        const a = replica.assignment;
        try {
          const theirs = await peers.checksum(a.primaryAddr, a.repo, a.epoch);
          const mine = replica.checksum();
          manager.metrics.antiEntropyChecks.inc();
          if (theirs.seq !== mine.seq || theirs.checksum === mine.checksum) continue;
          manager.metrics.antiEntropyMismatches.inc({ repo: a.repo });
          log.warn('anti-entropy: replica differs from its primary; resyncing from a snapshot', { repo: a.repo, seq: mine.seq });
          replica.resync();
        } catch {
          // primary unreachable or no longer primary: the stream's own retries deal with it
        }
      }
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void round(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
