// Merging `head` into branch `base`: nothing to do, a fast-forward, or a true two-parent merge commit from a 3-way merge.
// On conflict nothing is written and the caller gets the conflicting paths.
// Three steps, so the costly middle one can run in a worker thread (commands/off-loop.ts): resolveMerge reads the refs
// (main thread), computeMerge works from objects alone (merge bases, ort with rename detection, the new objects, git's
// fsck rules on them), applyMerge moves the branch by compare-and-swap against the head the merge was computed from
// (409 ref_conflict when it moved meanwhile).
import { conflict, unprocessable } from '../errors.js';
import { fsckLinks, fsckObject } from '../git/fsck/index.js';
import { Identity, ObjectId, encodeCommit } from '../git/objects.js';
import { isAncestor, mergeBases } from '../git/merge-base.js';
import { mergeCommits } from '../git/merge.js';
import { Repository, type StoredObject } from '../store/repository.js';
import { withFsck } from './fsck-failure.js';
import { normaliseMessage } from './identity.js';
import { type ObjectView } from './object-view.js';
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

/** A merge with its revisions resolved: the branch's head and the commit to merge, plus the request. */
export interface MergeQuery extends MergeInput {
  baseId: ObjectId;
  headId: ObjectId;
}

/** What a merge comes to, before anything is applied. `objects`: the new ones of a merge commit (already checked). */
export type MergeOutcome =
  | { status: 'up_to_date'; sha: ObjectId; parents: ObjectId[] }
  | { status: 'fast_forward'; sha: ObjectId; parents: ObjectId[] }
  | { status: 'merged'; sha: ObjectId; parents: ObjectId[]; objects: StoredObject[] };

/**
 * The branch's head as a writer sees it: the value the merge is computed from and compare-and-swaps against. The one
 * place a merge reads it, so it can follow whatever Repository offers writers.
 */
export function branchHeadForWrite(repo: Repository, branch: string): ObjectId {
  // As of the newest state (pending changes included), so the compare-and-swap on the branch holds against it.
  return getBranch(repo.newest, branch).sha;
}

/** Main thread: the refs the merge needs (the branch must exist; `head` is any revision). */
export function resolveMerge(repo: Repository, input: MergeInput): MergeQuery {
  const baseId = branchHeadForWrite(repo, input.base);
  return { ...input, baseId, headId: resolveCommit(repo.newest, input.head) };
}

/** The merge from objects alone: can run on any thread, changes nothing. */
export function computeMerge(view: ObjectView, q: MergeQuery): MergeOutcome {
  return gitCall(() => outcome(view, q));
}

function outcome(view: ObjectView, q: MergeQuery): MergeOutcome {
  const { baseId, headId } = q;
  const objects = view.objects;
  if (isAncestor(objects, headId, baseId)) return { status: 'up_to_date', sha: baseId, parents: readCommit(view, baseId).parents };
  if (!q.noFastForward && isAncestor(objects, baseId, headId)) {
    return { status: 'fast_forward', sha: headId, parents: readCommit(view, headId).parents };
  }
  if (!q.allowUnrelatedHistories && mergeBases(objects, baseId, headId).length === 0) {
    throw unprocessable('unrelated_histories', `refusing to merge unrelated histories: ${q.head} and ${q.base} have no common ancestor (allowUnrelatedHistories merges them against an empty base)`);
  }
  const pending = new PendingObjects(objects);
  // Several merge bases (criss-cross histories) are merged into one virtual base first, as git does.
  const result = mergeCommits(pending, pending, baseId, headId);
  if (!result.clean) {
    throw conflict('merge_conflict', `merging ${q.head} into ${q.base} conflicts in ${result.conflicts.length} path(s)`, {
      conflicts: result.conflicts,
    });
  }
  const message = normaliseMessage(q.message ?? `Merge ${q.head} into ${q.base}`);
  const parents = [baseId, headId];
  const sha = pending.writeObject('commit', encodeCommit({
    tree: result.tree, parents, author: q.author, committer: q.committer, extraHeaders: [], message,
  }));
  // Both sides passed git's fsck rules, but a line merge can still make new content git refuses: two clean
  // .gitmodules whose merge puts a `url = -x` under a [submodule] header. The new objects are checked like a commit's.
  const created = pending.objects();
  withFsck(() => {
    for (const o of created) fsckObject(o.id, o.type, o.data);
    fsckLinks(created, objects);
  });
  return { status: 'merged', sha, parents, objects: created };
}

/** Main thread: applies a computed merge; 409 ref_conflict when the branch is no longer where the merge started. */
export function applyMerge(repo: Repository, q: MergeQuery, o: MergeOutcome): MergeResult {
  const done = { status: o.status, sha: o.sha, branch: q.base, parents: o.parents };
  if (o.status === 'up_to_date') return done;
  const change = repo.apply(o.status === 'merged' ? o.objects : [], [{ name: `refs/heads/${q.base}`, old: q.baseId, new: o.sha }]);
  return { ...done, seq: change.seq };
}

/** The whole merge on this thread (the REST route computes it in a worker: commands/off-loop.ts). */
export function merge(repo: Repository, input: MergeInput): MergeResult {
  const q = resolveMerge(repo, input);
  return applyMerge(repo, q, computeMerge(repo, q));
}
