// A repository's checksum for anti-entropy: sha256 over the sorted refs, the object count and the XOR of all object ids.
// XOR is order-independent, so no sort of (possibly millions of) object ids is needed; refs are few and sorted.
// It describes the copy at its applied seq (repo.seq), pending changes included — what the replication log says the
// copy holds there, on a primary and a replica alike — not the committed state reads see: the two copies are compared
// at the same applied seq, and the store's id fold covers every object applied.
import { createHash } from 'node:crypto';
import { Repository } from '../store/repository.js';

export function repoChecksum(repo: Repository): string {
  const h = createHash('sha256');
  const newest = repo.newest;
  for (const [name, id] of newest.listRefs('')) h.update(`${name} ${id}\n`);
  // The store keeps the XOR as objects arrive: walking a million ids here held the event loop for a second.
  h.update(`objects ${repo.objects.size} `).update(repo.objects.idFold);
  h.update(`default ${newest.meta.defaultBranch}\n`);
  return h.digest('hex');
}
