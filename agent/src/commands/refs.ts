// Branches and tags: listing, creating from any revision, reading and deleting, all as compare-and-swap ref updates.
// Reads see the committed refs; creations and deletions resolve and check against the newest (repo.newest).
import { conflict, invalid, notFound } from '../errors.js';
import { fsckObject } from '../git/fsck/index.js';
import { Identity, ObjectId, Tag, decodeTag, encodeTag, hashObject } from '../git/objects.js';
import { shortRefProblem } from '../git/refname.js';
import { Repository, type RepoView } from '../store/repository.js';
import { withFsck } from './fsck-failure.js';
import { normaliseMessage } from './identity.js';
import { type ObjectView } from './object-view.js';
import { peelToCommit, resolveCommit, resolveObject } from './resolve.js';

export type RefKind = 'branch' | 'tag';
export const PREFIX = { branch: 'refs/heads/', tag: 'refs/tags/' } as const;

export interface BranchInfo {
  name: string;
  sha: ObjectId;
}

export interface TagInfo {
  name: string;
  /** What the ref points at: the tag object for annotated tags. */
  sha: ObjectId;
  annotated: boolean;
  /** The commit the tag ultimately names. */
  commit: ObjectId | null;
  message?: string;
  tagger?: Identity;
}

function checkName(kind: RefKind, name: string): string {
  const problem = shortRefProblem(name, PREFIX[kind]);
  if (problem) throw invalid('invalid_ref_name', `${kind} name ${JSON.stringify(name)} ${problem}`);
  return PREFIX[kind] + name;
}

export function listBranches(repo: RepoView): BranchInfo[] {
  return branchesOf(repo.listRefs(PREFIX.branch));
}

/** Branch refs (sorted, refs/heads/ names) as the API lists them. */
export function branchesOf(refs: readonly [string, ObjectId][]): BranchInfo[] {
  return refs.map(([ref, sha]) => ({ name: ref.slice(PREFIX.branch.length), sha }));
}

export function getBranch(repo: RepoView, name: string): BranchInfo {
  const sha = repo.getRef(checkName('branch', name));
  if (!sha) throw notFound('branch_not_found', `branch ${JSON.stringify(name)} does not exist`);
  return { name, sha };
}

export function createBranch(repo: Repository, name: string, from: string): BranchInfo & { seq: number } {
  const ref = checkName('branch', name);
  const newest = repo.newest;
  const sha = resolveCommit(newest, from);
  const existing = newest.getRef(ref);
  if (existing) throw conflict('branch_exists', `branch ${JSON.stringify(name)} already exists`, { current: existing });
  const change = repo.apply([], [{ name: ref, old: null, new: sha }]);
  return { name, sha, seq: change.seq };
}

export function deleteRef(repo: Repository, kind: RefKind, name: string): number {
  const ref = checkName(kind, name);
  const newest = repo.newest;
  const current = newest.getRef(ref);
  if (!current) throw notFound(`${kind}_not_found`, `${kind} ${JSON.stringify(name)} does not exist`);
  if (kind === 'branch' && name === newest.meta.defaultBranch) {
    throw conflict('default_branch', `branch ${JSON.stringify(name)} is the default branch and cannot be deleted`);
  }
  return repo.apply([], [{ name: ref, old: current, new: null }]).seq;
}

/** A tag as the API shows it; reads only objects (a worker describes the tags of long listings). */
export function describeTag(repo: ObjectView, name: string, sha: ObjectId): TagInfo {
  const obj = repo.objects.readObject(sha);
  let commit: ObjectId | null = null;
  try {
    commit = peelToCommit(repo, sha);
  } catch {
    commit = null; // tags may name trees or blobs
  }
  if (obj?.type !== 'tag') return { name, sha, annotated: false, commit };
  const t = decodeTag(obj.data);
  return { name, sha, annotated: true, commit, message: t.message, tagger: t.tagger };
}

export function listTags(repo: RepoView): TagInfo[] {
  return tagsOf(repo, repo.listRefs(PREFIX.tag));
}

/** Tag refs (sorted, refs/tags/ names) as the API lists them: annotated ones read and peeled. */
export function tagsOf(view: ObjectView, refs: readonly [string, ObjectId][]): TagInfo[] {
  return refs.map(([ref, sha]) => describeTag(view, ref.slice(PREFIX.tag.length), sha));
}

export function getTag(repo: RepoView, name: string): TagInfo {
  const sha = repo.getRef(checkName('tag', name));
  if (!sha) throw notFound('tag_not_found', `tag ${JSON.stringify(name)} does not exist`);
  return describeTag(repo, name, sha);
}

/** Creates a lightweight tag, or an annotated one when a message is given (then a tagger is required). */
export function createTag(
  repo: Repository, name: string, from: string, annotation?: { message: string; tagger: Identity },
): TagInfo & { seq: number } {
  const ref = checkName('tag', name);
  const newest = repo.newest;
  const target = resolveObject(newest, from);
  const existing = newest.getRef(ref);
  if (existing) throw conflict('tag_exists', `tag ${JSON.stringify(name)} already exists`, { current: existing });
  let sha = target;
  const objects = [];
  if (annotation) {
    const targetType = repo.objects.readObject(target)!.type;
    const tag: Tag = { object: target, type: targetType, tag: name, tagger: annotation.tagger, extraHeaders: [], message: normaliseMessage(annotation.message) };
    const data = encodeTag(tag);
    sha = hashObject('tag', data);
    // The target and its type come from the repository; the tagger is the request's: git's identity rules apply.
    withFsck(() => fsckObject(sha, 'tag', data));
    objects.push({ id: sha, type: 'tag' as const, data });
  }
  const change = repo.apply(objects, [{ name: ref, old: null, new: sha }]);
  return { ...describeTag(newest, name, sha), seq: change.seq };
}
