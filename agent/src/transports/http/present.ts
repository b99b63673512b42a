// Wire shapes of domain objects: what the REST API returns for commits, identities and repositories.
import { Commit, Identity, ObjectId } from '../../git/objects.js';
import { Repository } from '../../store/repository.js';

export interface IdentityJson {
  name: string;
  email: string;
  date: string;
}

/** Git's "+hhmm" offset as ISO-8601 local time, so the date reads as the author wrote it. */
export function identityJson(p: Identity): IdentityJson {
  const sign = p.timezone.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(p.timezone.slice(1, 3)) * 60 + Number(p.timezone.slice(3, 5)));
  const local = new Date((p.timestamp + offsetMin * 60) * 1000).toISOString().replace(/\.\d{3}Z$/, '');
  const tz = offsetMin === 0 ? 'Z' : `${p.timezone.slice(0, 3)}:${p.timezone.slice(3)}`;
  return { name: p.name, email: p.email, date: local + tz };
}

export function commitJson(id: ObjectId, c: Commit) {
  return {
    sha: id,
    tree: c.tree,
    parents: c.parents,
    author: identityJson(c.author),
    committer: identityJson(c.committer),
    message: c.message,
  };
}

export function repoJson(repo: Repository) {
  return {
    name: repo.name,
    description: repo.meta.description,
    defaultBranch: repo.meta.defaultBranch,
    createdAt: repo.meta.createdAt,
    head: repo.getRef(repo.headRef) ?? null,
    objects: repo.objects.size,
    memoryBytes: repo.memoryBytes,
    seq: repo.seq,
  };
}
