// A repository's checksum for anti-entropy: sha256 over the sorted refs, the object count and the XOR of all object ids.
// XOR is order-independent, so no sort of (possibly millions of) object ids is needed; refs are few and sorted.
import { createHash } from 'node:crypto';
import { Repository } from '../store/repository.js';

export function repoChecksum(repo: Repository): string {
  const h = createHash('sha256');
  for (const [name, id] of repo.listRefs('')) h.update(`${name} ${id}\n`);
  // The store keeps the XOR as objects arrive: walking a million ids here held the event loop for a second.
  h.update(`objects ${repo.objects.size} `).update(repo.objects.idFold);
  h.update(`default ${repo.meta.defaultBranch}\n`);
  return h.digest('hex');
}
