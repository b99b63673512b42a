// A planned hand-over of a primary: its agent is leaving (drained for scale-in, or placement no longer wants it) but
// still answers. Unlike a failover the old primary is asked first: fenced at the epoch the hand-over records, it
// accepts no more writes and its applied seq is final. The new primary is then an in-sync replica of the recorded
// epoch that already applied that final seq, so no write is lost at all, acknowledged or not. While none has (the
// last changes may still be on their way), wait a little; after that, or when the old primary does not answer the
// fence, the failover choice decides (with quorum or all it never loses an acknowledged write, only unacknowledged
// ones). With async it would: the old primary, which holds everything, keeps serving instead and the hand-over is
// tried again later.
import { compare } from './compare.js';
import type { ReplicaReport } from './failover.js';

export interface HandoverInput {
  repo: string;
  /** The recorded epoch; the hand-over records epoch + 1 (the epoch the old primary was fenced at). */
  epoch: number;
  oldPrimary: string;
  /** The old primary's applied seq as its fence answered it; null when the fence failed (it did not answer). */
  finalSeq: number | null;
  /** The recorded replicas: the only copies that may take over. */
  replicas: readonly string[];
  reports: readonly ReplicaReport[];
  /** Replicas placement keeps after the hand-over: preferred, so no copy moves again because of the choice. */
  keep?: readonly string[];
  /** Agents that may not become primary (failed, draining). */
  excluded?: readonly string[];
  /** Milliseconds since the fence, and how long a replica may take to apply the final seq. */
  waitedMs: number;
  maxWaitMs: number;
  /**
   * With async writes the old primary acknowledged writes no replica may hold: a replica short of its final seq never
   * takes over (the failover choice would drop them); the old primary keeps serving and the hand-over is tried again.
   */
  writeConcern?: 'async' | 'quorum' | 'all';
}

export type HandoverPlan =
  | { decision: 'promote'; repo: string; newPrimary: string; newEpoch: number; appliedSeq: number }
  | { decision: 'wait'; repo: string; agent: string; behind: number; message: string }
  | { decision: 'keep'; repo: string; message: string }
  | { decision: 'failover'; repo: string; reason: 'OldPrimaryUnreachable' | 'NoCandidate' | 'NotCaughtUp'; message: string };

export function planHandover(input: HandoverInput): HandoverPlan {
  const { repo, epoch, finalSeq } = input;
  if (finalSeq === null) {
    return { decision: 'failover', repo, reason: 'OldPrimaryUnreachable', message: `${input.oldPrimary} did not answer the fence at epoch ${epoch + 1}` };
  }
  const excluded = new Set(input.excluded ?? []);
  const keep = new Set(input.keep ?? []);
  const replicas = new Set(input.replicas);
  const candidates = input.reports
    .filter((r) => r.reachable && r.inSync && r.epoch === epoch && replicas.has(r.agent) && r.agent !== input.oldPrimary && !excluded.has(r.agent))
    // Highest seq first; then a copy placement keeps; then by name, so every reconcile picks the same one.
    .sort((a, b) => b.appliedSeq - a.appliedSeq || Number(keep.has(b.agent)) - Number(keep.has(a.agent)) || compare(a.agent, b.agent));
  if (candidates.length === 0) {
    return { decision: 'failover', repo, reason: 'NoCandidate', message: `no reachable in-sync replica of ${repo} in epoch ${epoch}` };
  }
  const caughtUp = candidates.filter((r) => r.appliedSeq >= finalSeq);
  if (caughtUp.length > 0) {
    // Among the caught-up copies (equal in content up to finalSeq) the one placement keeps, then by name.
    const chosen = caughtUp.sort((a, b) => Number(keep.has(b.agent)) - Number(keep.has(a.agent)) || compare(a.agent, b.agent))[0];
    return { decision: 'promote', repo, newPrimary: chosen.agent, newEpoch: epoch + 1, appliedSeq: chosen.appliedSeq };
  }
  const best = candidates[0];
  const behind = finalSeq - best.appliedSeq;
  if (input.waitedMs < input.maxWaitMs) {
    return { decision: 'wait', repo, agent: best.agent, behind, message: `${best.agent} is ${behind} changes behind ${input.oldPrimary}'s final seq ${finalSeq}` };
  }
  if (input.writeConcern === 'async') {
    return {
      decision: 'keep', repo,
      message: `no replica of ${repo} applied ${input.oldPrimary}'s final seq ${finalSeq} within ${input.maxWaitMs} ms (best ${best.agent}, ${behind} behind); with async writes ${input.oldPrimary} keeps serving`,
    };
  }
  return {
    decision: 'failover', repo, reason: 'NotCaughtUp',
    message: `no replica of ${repo} applied ${input.oldPrimary}'s final seq ${finalSeq} within ${input.maxWaitMs} ms (best ${best.agent}, ${behind} behind)`,
  };
}

/**
 * Before the fence: whether a recorded replica could take over at all (in the in-sync set the primary last reported,
 * its agent ready and staying). Without one the old primary is not fenced: it keeps serving while the failover path
 * reports why nothing can be promoted (e.g. a single copy: it must get a replica first).
 */
export function canHandOver(
  status: { replicas?: readonly string[]; inSyncReplicas?: readonly string[] },
  agents: readonly { name: string; ready: boolean; draining?: boolean }[],
): boolean {
  const inSync = new Set(status.inSyncReplicas ?? []);
  const staying = new Set(agents.filter((a) => a.ready && !a.draining).map((a) => a.name));
  return (status.replicas ?? []).some((r) => inSync.has(r) && staying.has(r));
}
