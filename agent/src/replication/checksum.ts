// A repository's checksum for anti-entropy: sha256 over the sorted refs, the object count and the XOR of all object ids.
// XOR is order-independent, so no sort of (possibly millions of) object ids is needed; refs are few and sorted.
// It describes the copy at its applied seq (repo.seq), pending changes included — what the replication log says the
// copy holds there, on a primary and a replica alike — not the committed state reads see: the two copies are compared
// at the same applied seq, and the store's id fold covers every object applied.
import { createHash } from 'node:crypto';
import type { Repository } from '../store/repository.js';

/** `refs`: every ref of the newest state, sorted (as listRefs('') gives them). */
export function repoChecksum(repo: Repository, refs: Iterable<readonly [string, string]> = repo.newest.listRefs('')): string {
  // The store keeps the XOR as objects arrive: walking a million ids here held the event loop for a second.
  return checksumOf(refs, repo.objects.size, repo.objects.idFold, repo.newest.meta.defaultBranch);
}

/** The checksum from its parts: pure, so a worker computes it too (RepoState of many refs, workers/repo-state-task.ts). */
export function checksumOf(refs: Iterable<readonly [string, string]>, objectCount: number, idFold: Uint8Array, defaultBranch: string): string {
  const h = createHash('sha256');
  for (const [name, id] of refs) h.update(`${name} ${id}\n`);
  h.update(`objects ${objectCount} `).update(idFold);
  h.update(`default ${defaultBranch}\n`);
  return h.digest('hex');
}
