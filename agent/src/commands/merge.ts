// Merging `head` into branch `base`: nothing to do, a fast-forward, or a true two-parent merge commit from a 3-way merge.
// On conflict nothing is written and the caller gets the conflicting paths.
import { conflict, unprocessable } from '../errors.js';
import { fsckLinks, fsckObject } from '../git/fsck/index.js';
import { Identity, ObjectId, encodeCommit } from '../git/objects.js';
import { isAncestor, mergeBases } from '../git/merge-base.js';
import { mergeCommits } from '../git/merge.js';
import { Repository } from '../store/repository.js';
import { withFsck } from './fsck-failure.js';
import { normaliseMessage } from './identity.js';
import { PendingObjects } from './overlay.js';
import { gitCall } from './git-errors.js';
import { readCommit, resolveCommit } from './resolve.js';
import { getBranch } from './refs.js';

export interface MergeInput {
  base: string;
  head: string;
  message?: string;
  author: Identity;
  committer: Identity;
  /** Refuse to fast-forward, always create a merge commit (like --no-ff). */
  noFastForward?: boolean;
  /** Merge histories with no common ancestor, against an empty base (like --allow-unrelated-histories). */
  allowUnrelatedHistories?: boolean;
}

export interface MergeResult {
  status: 'up_to_date' | 'fast_forward' | 'merged';
  sha: ObjectId;
  branch: string;
  parents: ObjectId[];
  seq?: number;
}

export function merge(repo: Repository, input: MergeInput): MergeResult {
  // A write: both sides as of the newest state, so the compare-and-swap on the base branch holds against it.
  const branch = getBranch(repo.newest, input.base);
  const headId = resolveCommit(repo.newest, input.head);
  return gitCall(() => mergeInto(repo, input, branch.sha, headId));
}

function mergeInto(repo: Repository, input: MergeInput, baseId: ObjectId, headId: ObjectId): MergeResult {
  const ref = `refs/heads/${input.base}`;
  const objects = repo.objects;
  if (isAncestor(objects, headId, baseId)) {
    return { status: 'up_to_date', sha: baseId, branch: input.base, parents: readCommit(repo, baseId).parents };
  }
  if (!input.noFastForward && isAncestor(objects, baseId, headId)) {
    const change = repo.apply([], [{ name: ref, old: baseId, new: headId }]);
    return { status: 'fast_forward', sha: headId, branch: input.base, parents: readCommit(repo, headId).parents, seq: change.seq };
  }
  if (!input.allowUnrelatedHistories && mergeBases(objects, baseId, headId).length === 0) {
    throw unprocessable('unrelated_histories', `refusing to merge unrelated histories: ${input.head} and ${input.base} have no common ancestor (allowUnrelatedHistories merges them against an empty base)`);
  }
  const pending = new PendingObjects(objects);
  // Several merge bases (criss-cross histories) are merged into one virtual base first, as git does.
  const result = mergeCommits(pending, pending, baseId, headId);
  if (!result.clean) {
    throw conflict('merge_conflict', `merging ${input.head} into ${input.base} conflicts in ${result.conflicts.length} path(s)`, {
      conflicts: result.conflicts,
    });
  }
  const message = normaliseMessage(input.message ?? `Merge ${input.head} into ${input.base}`);
  const parents = [baseId, headId];
  const sha = pending.writeObject('commit', encodeCommit({
    tree: result.tree, parents, author: input.author, committer: input.committer, extraHeaders: [], message,
  }));
  // Both sides passed git's fsck rules, but a line merge can still make new content git refuses: two clean
  // .gitmodules whose merge puts a `url = -x` under a [submodule] header. The new objects are checked like a commit's.
  const created = pending.objects();
  withFsck(() => {
    for (const o of created) fsckObject(o.id, o.type, o.data);
    fsckLinks(created, objects);
  });
  const change = repo.apply(created, [{ name: ref, old: baseId, new: sha }]);
  return { status: 'merged', sha, branch: input.base, parents, seq: change.seq };
}
