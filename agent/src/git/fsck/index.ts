// git's fsck rules, ours: what every write path (REST commits, merges, tags, bundle import, replication and snapshot
// apply, the Git protocol to come) checks before an object or a ref enters a repository. Pure functions over an object
// reader; a refusal is an FsckError naming git's own message id (e.g. "hasDotgit", "treeNotSorted"), so a client can
// look the rule up in git-fsck(1). The oracle is `git fsck --strict` of git 2.39: an object is refused iff it reports
// an error for it, except for the few refusals beyond git listed (and argued) in report.ts's BEYOND_GIT.
//
// This file is the contract the write paths call; the rules behind it live beside it: tree.ts and dotgit.ts (tree
// entries, the ".git" aliases of every filesystem), commit-tag.ts (headers and identities), git-config.ts,
// submodule.ts and special-blobs.ts (.gitmodules and .gitattributes contents), links.ts (rules across objects).
import { hashObject, decodeCommit, decodeTag, GitFormatError, type ObjectId, type ObjectReader, type ObjectType } from '../objects.js';
import { utf8Bytes } from '../hex.js';
import { fsckCommit, fsckTag } from './commit-tag.js';
import { fsckLinksOf, fsckRefTarget, type IdentifiedObject } from './links.js';
import { refuse } from './report.js';
import { directoryNameProblem, entryNameProblem, fsckTree } from './tree.js';

export { FsckError } from './report.js';
export { BEYOND_GIT, GIT_STRICT_ERRORS, GIT_UNNAMED_CHECKS, isKnownCheck } from './report.js';
export type { IdentifiedObject } from './links.js';

/** Checks one object on its own: its encoding and every rule that needs no other object. Throws FsckError. */
export function fsckObject(id: ObjectId, type: ObjectType, data: Buffer): void {
  switch (type) {
    case 'blob':
      return;
    case 'tree':
      return fsckTree(id, data);
    case 'commit':
      fsckCommit(id, data);
      return readable(id, () => decodeCommit(data));
    case 'tag':
      fsckTag(id, data);
      return readable(id, () => decodeTag(data));
    default:
      refuse('unknownType', `unknown type ${JSON.stringify(type)}`, id);
  }
}

/**
 * What git accepts must decode with our readers too, or a later read would fail: objects.ts follows git's parser, so
 * this refuses only headers no git writes (see BEYOND_GIT.unreadableHeader).
 */
function readable(id: ObjectId, decode: () => unknown): void {
  try {
    decode();
  } catch (e) {
    if (e instanceof GitFormatError) refuse('unreadableHeader', e.message, id);
    throw e;
  }
}

/**
 * Checks an object whose id came with it (a replication change, a snapshot): the id must be the SHA-1 of its type and
 * data ("hashMismatch" otherwise), then fsckObject. Throws FsckError.
 */
export function fsckIdentifiedObject(o: IdentifiedObject): void {
  const actual = hashObject(o.type, o.data);
  if (actual !== o.id) refuse('hashMismatch', `object claims id ${o.id}, its ${o.type} data hashes to ${actual}`, o.id);
  fsckObject(o.id, o.type, o.data);
}

/**
 * Checks what links `objects` (new ones) to each other and to what `reader` already holds: a tree entry's mode agrees
 * with its target's type, a commit's tree is a tree and its parents commits, a tag's type header is its target's type,
 * and `.gitmodules` / `.gitattributes` blobs named by these trees pass git's checks. Every object must have passed
 * fsckObject. Throws FsckError.
 */
export function fsckLinks(objects: readonly IdentifiedObject[], reader: ObjectReader): void {
  fsckLinksOf(objects, reader);
}

/** Checks that ref `name` may point at `id` (a branch only at a commit; the object must exist). Throws FsckError. */
export function fsckRef(name: string, id: ObjectId, reader: ObjectReader): void {
  fsckRefTarget(name, id, reader);
}

/** Why git would refuse `name` as a tree entry name (".git" and its aliases on every filesystem, ".", "..", "/"), or undefined. */
export function treeEntryNameProblem(name: string): string | undefined {
  return entryNameProblem(utf8Bytes(name));
}

/** Why git would refuse `name` as a directory: treeEntryNameProblem's reasons, and ".gitmodules"/".gitattributes" aliases. */
export function treeDirectoryNameProblem(name: string): string | undefined {
  return directoryNameProblem(utf8Bytes(name));
}

