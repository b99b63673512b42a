// A repository's checksum for anti-entropy: sha256 over the sorted refs, the object count and the XOR of all object ids.
// XOR is order-independent, so no sort of (possibly millions of) object ids is needed; refs are few and sorted.
import { createHash } from 'node:crypto';
import { Repository } from '../store/repository.js';

export function repoChecksum(repo: Repository): string {
  const h = createHash('sha256');
  for (const [name, id] of repo.listRefs('')) h.update(`${name} ${id}\n`);
  const fold = Buffer.alloc(20);
  for (const id of repo.objects.ids()) {
    const b = Buffer.from(id, 'hex');
    for (let i = 0; i < 20; i++) fold[i] ^= b[i];
  }
  h.update(`objects ${repo.objects.size} `).update(fold);
  h.update(`default ${repo.meta.defaultBranch}\n`);
  return h.digest('hex');
}
