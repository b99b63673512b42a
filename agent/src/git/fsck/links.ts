// Rules that need more than one object: a tree entry's mode agrees with its target's type (a directory is a tree, a
// file or symlink a blob), a commit's tree is a tree and its parents are commits, a tag's "type" header is its target's
// type, a branch names a commit, and blobs named .gitmodules / .gitattributes by a tree pass special-blobs.ts.
// Targets that are nowhere (neither new nor in the repository) are the connectivity check's business, not these
// rules'. Every object given here has passed fsckObject, so its layout is known good.
import type { GitObject, ObjectId, ObjectReader, ObjectType } from '../objects.js';
import { GITATTRIBUTES, GITMODULES, isDotName, isNtfsDotName, mayBeAlias } from './dotgit.js';
import { refuse } from './report.js';
import { fsckGitattributesBlob, fsckGitmodulesBlob } from './special-blobs.js';
import { tagTarget, tagTargetType } from './commit-tag.js';
import { isDirMode, isGitlinkMode, isSymlinkMode, scanTree } from './tree.js';

/** An object with its id, as stores and packs hand them over. */
export type IdentifiedObject = GitObject & { id: ObjectId };

const BACKSLASH = 0x5c;

class Lookup {
  private readonly fresh = new Map<ObjectId, IdentifiedObject>();
  constructor(objects: readonly IdentifiedObject[], private readonly reader: ObjectReader) {
    for (const o of objects) this.fresh.set(o.id, o);
  }
  read(id: ObjectId): GitObject | undefined {
    return this.fresh.get(id) ?? this.reader.readObject(id);
  }
  type(id: ObjectId): ObjectType | undefined {
    return this.fresh.get(id)?.type ?? this.reader.readObject(id)?.type;
  }
}

/** Whether the entry name (bytes [s, e) of `data`) is a .gitmodules (or .gitattributes) on some filesystem. */
function namesSpecial(data: Buffer, s: number, e: number, which: typeof GITMODULES | typeof GITATTRIBUTES): boolean {
  if (mayBeAlias(data, s, e) && isDotName(data, s, e, which)) return true;
  if (which !== GITMODULES) return false;
  // git also reads what follows each backslash as a name of its own (NTFS only), for .gitmodules.
  for (let k = s; k < e; k++) if (data[k] === BACKSLASH && isNtfsDotName(data, k + 1, e, GITMODULES)) return true;
  return false;
}

function checkTree(tree: IdentifiedObject, lookup: Lookup, gitmodules: Set<ObjectId>, gitattributes: Set<ObjectId>): void {
  const data = tree.data;
  scanTree(data, (entry) => {
    const { mode, nameStart: s, nameEnd: e, idAt } = entry;
    const target = data.toString('hex', idAt, idAt + 20);
    if (!isSymlinkMode(mode)) {
      if (namesSpecial(data, s, e, GITMODULES)) gitmodules.add(target);
      if (namesSpecial(data, s, e, GITATTRIBUTES)) gitattributes.add(target);
    }
    if (isGitlinkMode(mode) || !((mode & 0o170000) === 0o100000 || isSymlinkMode(mode) || isDirMode(mode))) return;
    const want: ObjectType = isDirMode(mode) ? 'tree' : 'blob';
    const got = lookup.type(target);
    if (got !== undefined && got !== want) {
      const name = data.toString('utf8', s, e);
      refuse('badTreeEntryType', `entry ${JSON.stringify(name)} (mode ${mode.toString(8)}) names ${target}, a ${got}, not a ${want}`, tree.id);
    }
  });
}

function checkCommit(commit: IdentifiedObject, lookup: Lookup): void {
  const data = commit.data;
  const tree = data.toString('latin1', 5, 45);
  const treeType = lookup.type(tree);
  if (treeType !== undefined && treeType !== 'tree') refuse('badCommitTree', `tree ${tree} is a ${treeType}, not a tree`, commit.id);
  for (let p = 46; data.toString('latin1', p, p + 7) === 'parent '; p += 48) {
    const parent = data.toString('latin1', p + 7, p + 47);
    const t = lookup.type(parent);
    if (t !== undefined && t !== 'commit') refuse('badCommitParent', `parent ${parent} is a ${t}, not a commit`, commit.id);
  }
}

function checkTag(tag: IdentifiedObject, lookup: Lookup): void {
  const target = tagTarget(tag.data);
  const claimed = tagTargetType(tag.data);
  const actual = lookup.type(target);
  if (actual !== undefined && actual !== claimed) refuse('badTagTarget', `tag says its object ${target} is a ${claimed}, it is a ${actual}`, tag.id);
}

/** See index.ts. */
export function fsckLinksOf(objects: readonly IdentifiedObject[], reader: ObjectReader): void {
  const lookup = new Lookup(objects, reader);
  const gitmodules = new Set<ObjectId>();
  const gitattributes = new Set<ObjectId>();
  for (const o of objects) {
    if (o.type === 'tree') checkTree(o, lookup, gitmodules, gitattributes);
    else if (o.type === 'commit') checkCommit(o, lookup);
    else if (o.type === 'tag') checkTag(o, lookup);
  }
  for (const id of gitmodules) fsckGitmodulesBlob(id, lookup.read(id));
  for (const id of gitattributes) fsckGitattributesBlob(id, lookup.read(id));
}

/** See index.ts. */
export function fsckRefTarget(name: string, id: ObjectId, reader: ObjectReader): void {
  const o = reader.readObject(id);
  if (!o) refuse('missingRefTarget', `${name} points at ${id}, which is missing`, id);
  if (name.startsWith('refs/heads/') && o.type !== 'commit') refuse('refNotCommit', `${name}: not a commit (${id} is a ${o.type})`, id);
}
