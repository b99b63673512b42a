// Turning what users type (branch, tag, full ref, HEAD, sha) into objects, the way `git rev-parse` does.
import { invalid, notFound } from '../errors.js';
import { Commit, ObjectId, decodeCommit, decodeTag, isObjectId } from '../git/objects.js';
import { Repository } from '../store/repository.js';

/** Git's lookup order for a short name: tags win over branches when both exist. */
export function refCandidates(rev: string): string[] {
  if (rev === 'HEAD') return [];
  if (rev.startsWith('refs/')) return [rev];
  return [`refs/tags/${rev}`, `refs/heads/${rev}`];
}

/** The object a revision names, without peeling tags. */
export function resolveObject(repo: Repository, rev: string): ObjectId {
  if (rev.length === 0) throw invalid('invalid_revision', 'revision is empty');
  if (rev === 'HEAD') {
    const id = repo.getRef(repo.headRef);
    if (!id) throw notFound('ref_not_found', `HEAD points at ${repo.headRef}, which has no commits yet`);
    return id;
  }
  if (isObjectId(rev)) {
    if (!repo.objects.has(rev)) throw notFound('object_not_found', `object ${rev} does not exist`);
    return rev;
  }
  for (const name of refCandidates(rev)) {
    const id = repo.getRef(name);
    if (id) return id;
  }
  throw notFound('ref_not_found', `no branch, tag or commit named ${JSON.stringify(rev)}`);
}

/** Follows annotated tags until a commit; errors when the revision names something else. */
export function peelToCommit(repo: Repository, id: ObjectId): ObjectId {
  for (let depth = 0; depth < 32; depth++) {
    const obj = repo.objects.readObject(id);
    if (!obj) throw notFound('object_not_found', `object ${id} does not exist`);
    if (obj.type === 'commit') return id;
    if (obj.type !== 'tag') throw invalid('not_a_commit', `${id} is a ${obj.type}, not a commit`);
    id = decodeTag(obj.data).object;
  }
  throw invalid('not_a_commit', `tag chain at ${id} is too deep`);
}

export function resolveCommit(repo: Repository, rev: string): ObjectId {
  return peelToCommit(repo, resolveObject(repo, rev));
}

export function readCommit(repo: Repository, id: ObjectId): Commit {
  const obj = repo.objects.readObject(id);
  if (!obj) throw notFound('object_not_found', `commit ${id} does not exist`);
  if (obj.type !== 'commit') throw invalid('not_a_commit', `${id} is a ${obj.type}, not a commit`);
  return decodeCommit(obj.data);
}

/** A commit's tree id, read straight from the first header line (the hot read path needs nothing else). */
export function commitTree(repo: Repository, id: ObjectId): ObjectId {
  const obj = repo.objects.readObject(id);
  if (obj?.type === 'commit' && obj.data.length >= 46 && obj.data.toString('latin1', 0, 5) === 'tree ') {
    const tree = obj.data.toString('latin1', 5, 45);
    if (isObjectId(tree)) return tree;
  }
  return readCommit(repo, id).tree;
}
