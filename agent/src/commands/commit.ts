// One atomic commit of many file writes and deletes on a branch. Everything is computed first and then applied through
// Repository.apply in the same synchronous step as the compare-and-swap on the branch, so a commit never half-happens.
// A write sees the newest state (repo.newest): a commit on a branch whose last change is not yet durable builds on it.
// Three steps, as for merges (merge.ts), so a large commit's middle one can run in a worker thread (commit-off-loop.ts):
// commitHeadForWrite reads the branch (main thread), computeCommit works from objects alone (every check on the input,
// the new blobs, trees and commit, git's fsck rules on them), applyCommit moves the branch by compare-and-swap against
// the head the commit was computed from (409 ref_conflict when it moved meanwhile).
import { conflict, invalid, notFound } from '../errors.js';
import { fsckLinks, fsckObject } from '../git/fsck/index.js';
import { FileMode, Identity, MODE_TREE, ObjectId, decodeTree, encodeCommit, hashObject } from '../git/objects.js';
import { pathProblem, shortRefProblem } from '../git/refname.js';
import { TreeEditEntry, TreeEdits, editTree } from '../git/tree-edit.js';
import { readTyped } from '../git/object-errors.js';
import { findTreeEntry } from '../git/tree-path.js';
import { Repository, StoredObject } from '../store/repository.js';
import { withFsck } from './fsck-failure.js';
import { normaliseMessage } from './identity.js';
import type { ObjectSource } from './object-view.js';
import { commitTree } from './resolve.js';

export interface FileWrite {
  path: string;
  content: Buffer;
  mode: FileMode;
}

export interface CommitInput {
  branch: string;
  message: string;
  author: Identity;
  committer: Identity;
  files: FileWrite[];
  deletes: string[];
  /** When given, the branch must currently be at this commit (null: must not exist yet). */
  expectedHead?: ObjectId | null;
  /** false: the branch must already exist (404 branch_not_found otherwise), as GitHub's contents API wants it. Default true. */
  createBranch?: boolean;
}

export interface CommitResult {
  sha: ObjectId;
  tree: ObjectId;
  parents: ObjectId[];
  branch: string;
  seq: number;
}

/** A computed commit, before anything is applied: `objects` are the new ones (already checked). */
export interface CommitOutcome {
  sha: ObjectId;
  tree: ObjectId;
  parents: ObjectId[];
  objects: StoredObject[];
}

type Op = { kind: 'write'; file: FileWrite } | { kind: 'delete'; path: string };

/** Main thread: the branch's head as a writer sees it (newest state), the value the commit is computed from. */
export function commitHeadForWrite(repo: Repository, branch: string): ObjectId | null {
  // A name that is no valid branch finds nothing here; computeCommit refuses it first.
  return repo.newest.getRef(`refs/heads/${branch}`) ?? null;
}

/**
 * The commit from objects alone, given the branch's head `current` (null: no such branch): can run on any thread,
 * changes nothing. Every refusal comes from here, in the same order on either thread.
 */
export function computeCommit(objects: ObjectSource, input: CommitInput, current: ObjectId | null): CommitOutcome {
  const branchProblem = shortRefProblem(input.branch, 'refs/heads/');
  if (branchProblem) throw invalid('invalid_ref_name', `branch ${JSON.stringify(input.branch)} ${branchProblem}`);
  if (input.files.length === 0 && input.deletes.length === 0) throw invalid('empty_commit', 'files and deletes are both empty');
  const message = normaliseMessage(input.message);
  const ops = collectOps(input);

  if (current === null && input.createBranch === false) {
    throw notFound('branch_not_found', `branch ${JSON.stringify(input.branch)} does not exist (createBranch is false)`);
  }
  if (input.expectedHead !== undefined && input.expectedHead !== current) {
    throw conflict('head_moved', `branch ${input.branch} is at ${current ?? 'nothing'}, expected ${input.expectedHead ?? 'nothing'}`, {
      current,
    });
  }
  const parentTree = current ? commitTree({ objects }, current) : undefined;
  const pending = new Map<ObjectId, StoredObject>();
  const tree = buildTree(objects, pending, parentTree, ops, '') ?? storeObject(pending, 'tree', Buffer.alloc(0));
  const parents = current ? [current] : [];
  const sha = storeObject(pending, 'commit', encodeCommit({
    tree, parents, author: input.author, committer: input.committer, extraHeaders: [], message,
  }));
  const created = [...pending.values()].filter((o) => !objects.has(o.id));
  // git's fsck rules on what this commit adds: a .gitmodules written as a symlink or with hostile content, an identity
  // git refuses (422 fsck_failed). Names were checked per path already (pathProblem); the branch gets this commit.
  withFsck(() => {
    for (const o of created) fsckObject(o.id, o.type, o.data);
    fsckLinks(created, objects);
  });
  return { sha, tree, parents, objects: created };
}

/** Main thread: applies a computed commit; 409 ref_conflict when the branch is no longer at `current`. */
export function applyCommit(repo: Repository, branch: string, current: ObjectId | null, o: CommitOutcome): CommitResult {
  const change = repo.apply(o.objects, [{ name: `refs/heads/${branch}`, old: current, new: o.sha }]);
  return { sha: o.sha, tree: o.tree, parents: o.parents, branch, seq: change.seq };
}

/** The whole commit on this thread (the REST route computes large ones in a worker: commit-off-loop.ts). */
export function createCommit(repo: Repository, input: CommitInput): CommitResult {
  const current = commitHeadForWrite(repo, input.branch);
  return applyCommit(repo, input.branch, current, computeCommit(repo.objects, input, current));
}

function collectOps(input: CommitInput): Map<string, Op> {
  const ops = new Map<string, Op>();
  const add = (path: string, op: Op) => {
    const problem = pathProblem(path);
    if (problem) throw invalid('invalid_path', `path ${JSON.stringify(path)} ${problem}`);
    if (ops.has(path)) throw invalid('duplicate_path', `path ${JSON.stringify(path)} appears more than once`);
    ops.set(path, op);
  };
  for (const path of input.deletes) add(path, { kind: 'delete', path });
  for (const file of input.files) add(file.path, { kind: 'write', file });
  // A path written as a file cannot also be a directory of another written path.
  for (const [path, op] of ops) {
    if (op.kind !== 'write') continue;
    for (let i = path.indexOf('/'); i >= 0; i = path.indexOf('/', i + 1)) {
      const prefix = path.slice(0, i);
      if (ops.get(prefix)?.kind === 'write') throw invalid('path_conflict', `${prefix} is written both as a file and as a directory`);
    }
  }
  return ops;
}

function storeObject(pending: Map<ObjectId, StoredObject>, type: StoredObject['type'], data: Buffer): ObjectId {
  const id = hashObject(type, data);
  pending.set(id, { id, type, data });
  return id;
}

/** How many edits at one level before a name → entry map beats scanning the raw tree per lookup. */
const SCAN_LIMIT = 8;

/** Applies `ops` (paths relative to this tree) to `treeId`; returns the new tree id, or undefined when it ends up empty. */
function buildTree(
  objects: ObjectSource, pending: Map<ObjectId, StoredObject>, treeId: ObjectId | undefined, ops: Map<string, Op>, prefix: string,
): ObjectId | undefined {
  // A tree entry that points at something else than a tree is 422 (not_a_tree), never an empty directory.
  const data = treeId ? readTyped(objects, treeId, 'tree').data : Buffer.alloc(0);
  const direct: Op[] = [];
  const nested = new Map<string, Map<string, Op>>();
  for (const [path, op] of ops) {
    const slash = path.indexOf('/');
    if (slash < 0) {
      direct.push(op);
      continue;
    }
    const head = path.slice(0, slash);
    let sub = nested.get(head);
    if (!sub) nested.set(head, (sub = new Map()));
    sub.set(path.slice(slash + 1), op);
  }
  let lookup: (name: string) => TreeEditEntry | undefined;
  if (direct.length + nested.size > SCAN_LIMIT) {
    const byName = new Map(decodeTree(data).map((e) => [e.name, e]));
    lookup = (name) => byName.get(name);
  } else {
    lookup = (name) => findTreeEntry(data, name);
  }
  const edits: TreeEdits = new Map();
  // What a name holds after the edits so far: deletes go first, so "delete a, write a/b" replaces a file by a directory.
  const current = (name: string) => (edits.has(name) ? edits.get(name) ?? undefined : lookup(name));
  for (const op of direct) {
    if (op.kind !== 'delete') continue;
    const name = op.path.slice(op.path.lastIndexOf('/') + 1);
    if (!lookup(name)) throw invalid('path_not_found', `cannot delete ${prefix}${name}: no such path`);
    edits.set(name, null);
  }
  for (const op of direct) {
    if (op.kind !== 'write') continue;
    const name = op.file.path.slice(op.file.path.lastIndexOf('/') + 1);
    if (current(name)?.mode === MODE_TREE) {
      throw invalid('path_conflict', `cannot write file ${prefix}${name}: it is a directory (delete it in the same commit to replace it)`);
    }
    edits.set(name, { mode: op.file.mode, id: storeObject(pending, 'blob', op.file.content) });
  }
  for (const [name, sub] of nested) {
    const existing = current(name);
    if (existing && existing.mode !== MODE_TREE) {
      const writes = [...sub.values()].some((o) => o.kind === 'write');
      if (writes) throw invalid('path_conflict', `cannot write under ${prefix}${name}: it is a file (delete it in the same commit to replace it)`);
      throw invalid('path_not_found', `cannot delete under ${prefix}${name}: it is a file`);
    }
    const subtree = buildTree(objects, pending, existing?.id, sub, `${prefix}${name}/`);
    if (subtree !== undefined) edits.set(name, { mode: MODE_TREE, id: subtree });
    else if (existing) edits.set(name, null);
  }
  const out = editTree(data, edits);
  if (out.length === 0) return undefined;
  return storeObject(pending, 'tree', out);
}
