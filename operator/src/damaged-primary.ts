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
