// A primary whose copy is damaged (its agent quarantined the repository: a corrupt journal, a failing disk) has no
// data to serve: it is failed over like a dead primary, among the replicas recorded in the current epoch, and stays in
// the replica set as a replica — assigned as one, it re-seeds itself from the new primary's snapshot.
import { compare } from './compare.js';
import type { RepoDecision } from './types.js';

/**
 * The placement decision turned into a failover away from `damaged`, when placement meant to keep it as primary;
 * undefined otherwise (placement already replaces it, or it is not the primary). `recordedReplicas`: the replicas of
 * the recorded epoch, the only copies that can hold its acknowledged writes.
 */
export function failoverFromDamagedPrimary(
  decision: RepoDecision, damaged: string, recordedReplicas: readonly string[],
): RepoDecision | undefined {
  if (decision.primary !== damaged || decision.primaryAction !== 'keep') return undefined;
  const replicas = [...new Set([...decision.replicas, damaged])].sort(compare);
  return {
    ...decision,
    primary: null,
    primaryAction: 'failover',
    previousPrimary: damaged,
    replicas,
    failoverCandidates: recordedReplicas.filter((r) => r !== damaged && decision.replicas.includes(r)).sort(compare),
  };
}

/**
 * What the Repository says when a damaged primary cannot be replaced (Ready False, reason CopyDamaged): the only
 * copy (nothing can ever replace it: the data is gone unless the journal is restored), or replicas none of which can
 * take over yet (the failover choice's reason). Nothing serves the repository meanwhile: its agent answers 503
 * repository_damaged, never an empty repository.
 */
export function damagedPrimaryBlocked(
  agent: string, damage: string, recordedReplicas: number, blocked: { reason: string; message: string },
): { reason: 'CopyDamaged'; message: string } {
  if (recordedReplicas === 0) {
    return {
      reason: 'CopyDamaged',
      message: `the only copy, on ${agent}, is damaged (${damage}); nothing can replace it: the repository answers 503 repository_damaged until the copy is restored (its journal repaired and the agent restarted) or the Repository is deleted`,
    };
  }
  return {
    reason: 'CopyDamaged',
    message: `the primary's copy, on ${agent}, is damaged (${damage}) and no replica can take over yet (${blocked.reason}: ${blocked.message})`,
  };
}
