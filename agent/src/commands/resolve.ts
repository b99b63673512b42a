// Turning what users type into objects (revision.ts reads revisions as `git rev-parse` does) and reading commits,
// with an object of the wrong type or a malformed one answered as 422, never as a server error.
import { notFound, unprocessable } from '../errors.js';
import { GitFormatError, isObjectId, type Commit, type ObjectId } from '../git/objects.js';
import { decodeCommitText } from '../git/commit-text.js';
import { type RepoView } from '../store/repository.js';
import { type ObjectView } from './object-view.js';
import { peelTags, resolveRevision, type Hint } from './revision.js';


/** The object a revision names, without peeling tags (`git rev-parse --verify <rev>`). */
export function resolveObject(repo: RepoView, rev: string, hint: Hint = 'none'): ObjectId {
  // The hot path: HEAD, a full sha or a plain branch name, in a few map lookups.
  if (rev === 'HEAD') {
    const head = repo.getRef(repo.headRef);
    if (head) return head;
  } else if (rev.length === 40 && isObjectId(rev)) {
    if (!repo.objects.has(rev)) throw notFound('object_not_found', `object ${rev} does not exist`);
    return rev;
  } else {
    // git's lookup order puts <name>, refs/<name> and refs/tags/<name> before refs/heads/<name>.
    const branch = repo.getRef(`refs/heads/${rev}`);
    if (branch && !repo.getRef(`refs/tags/${rev}`) && !repo.getRef(`refs/${rev}`) && !repo.getRef(rev)) return branch;
  }
  return resolveRevision(repo, rev, hint);
}

/** Follows annotated tags until a commit; 422 `not_a_commit` when the revision names something else. */
export function peelToCommit(repo: ObjectView, id: ObjectId): ObjectId {
  const obj = repo.objects.readObject(id);
  if (obj?.type === 'commit') return id; // the usual case, one lookup
  const peeled = peelTags(repo, id);
  const type = repo.objects.readObject(peeled)!.type;
  if (type !== 'commit') throw unprocessable('not_a_commit', `${peeled} is a ${type}, not a commit`, { object: peeled, type });
  return peeled;
}

/** The commit a revision names (`git rev-parse --verify <rev>^{commit}`). */
export function resolveCommit(repo: RepoView, rev: string): ObjectId {
  return peelToCommit(repo, resolveObject(repo, rev, 'committish'));
}

/** A commit, its message and identities in UTF-8 whatever its `encoding` header says (as `git log` shows them). */
export function readCommit(repo: ObjectView, id: ObjectId): Commit {
  const obj = repo.objects.readObject(id);
  if (!obj) throw notFound('object_not_found', `commit ${id} does not exist`);
  if (obj.type !== 'commit') throw unprocessable('not_a_commit', `${id} is a ${obj.type}, not a commit`, { object: id, type: obj.type });
  try {
    return decodeCommitText(obj.data);
  } catch (e) {
    if (e instanceof GitFormatError) throw unprocessable('malformed_object', `commit ${id} is malformed: ${e.message}`, { object: id });
    throw e;
  }
}

/** A commit's tree id, read straight from the first header line (the hot read path needs nothing else). */
export function commitTree(repo: ObjectView, id: ObjectId): ObjectId {
  const obj = repo.objects.readObject(id);
  if (obj?.type === 'commit' && obj.data.length >= 46 && obj.data.toString('latin1', 0, 5) === 'tree ') {
    const tree = obj.data.toString('latin1', 5, 45);
    if (isObjectId(tree)) return tree;
  }
  return readCommit(repo, id).tree;
}
