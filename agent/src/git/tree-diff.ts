// Recursive comparison of two trees, producing what `git diff-tree -r --no-renames` reports.
import {
  MODE_TREE,
  compareTreeEntries,
  decodeTree,
  type FileMode,
  type ObjectId,
  type ObjectReader,
  type TreeEntry,
} from './objects.js';
import { readTyped } from './object-errors.js';
import { findTreeEntry, type PathEntry } from './tree-path.js';

export type ChangeStatus = 'added' | 'modified' | 'deleted' | 'type_changed' | 'renamed';

export interface FileChange {
  path: string;
  status: ChangeStatus;
  /** Renames (diff-renames.ts): where the file was, and git's similarity in percent. */
  oldPath?: string;
  similarity?: number;
  oldMode?: FileMode;
  newMode?: FileMode;
  oldId?: ObjectId;
  newId?: ObjectId;
}

/** Reads and decodes a tree, failing loudly on a missing object or one of another type. */
export function readTree(reader: ObjectReader, id: ObjectId): TreeEntry[] {
  const entries = decodeTree(readTyped(reader, id, 'tree').data);
  // The walk below relies on git's canonical order; a hand-made tree may not have it.
  for (let i = 1; i < entries.length; i++) {
    if (compareTreeEntries(entries[i - 1], entries[i]) >= 0) return entries.sort(compareTreeEntries);
  }
  return entries;
}

/** File type as git's S_IFMT sees it: 100644 and 100755 are the same type, symlinks and gitlinks differ. */
export function fileType(mode: FileMode): 'file' | 'symlink' | 'gitlink' | 'tree' {
  if (mode === '120000') return 'symlink';
  if (mode === '160000') return 'gitlink';
  if (mode === MODE_TREE) return 'tree';
  return 'file';
}

/**
 * Recursive diff of two trees (either may be undefined = empty tree), in git's path order.
 * A file replaced by a directory of the same name is a deletion plus additions, like git.
 */
export function diffTrees(reader: ObjectReader, oldTree: ObjectId | undefined, newTree: ObjectId | undefined): FileChange[] {
  const out: FileChange[] = [];
  walk(reader, oldTree, newTree, '', out);
  return out;
}

function walk(reader: ObjectReader, oldId: ObjectId | undefined, newId: ObjectId | undefined, prefix: string, out: FileChange[]): void {
  if (oldId === newId) return;
  const a = oldId ? readTree(reader, oldId) : [];
  const b = newId ? readTree(reader, newId) : [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    // compareTreeEntries treats a directory as "name/", so a file and a directory of the same name
    // are different entries here, exactly as in git's tree walk.
    const cmp = i >= a.length ? 1 : j >= b.length ? -1 : compareTreeEntries(a[i], b[j]);
    if (cmp < 0) emitSide(reader, a[i++], prefix, 'deleted', out);
    else if (cmp > 0) emitSide(reader, b[j++], prefix, 'added', out);
    else {
      const o = a[i++];
      const n = b[j++];
      if (o.id === n.id && o.mode === n.mode) continue;
      const path = prefix + o.name;
      if (o.mode === MODE_TREE) {
        walk(reader, o.id, n.id, path + '/', out);
        continue;
      }
      const status = fileType(o.mode) === fileType(n.mode) ? 'modified' : 'type_changed';
      out.push({ path, status, oldMode: o.mode, newMode: n.mode, oldId: o.id, newId: n.id });
    }
  }
}

function emitSide(reader: ObjectReader, e: TreeEntry, prefix: string, status: 'added' | 'deleted', out: FileChange[]): void {
  const path = prefix + e.name;
  if (e.mode === MODE_TREE) {
    if (status === 'added') walk(reader, undefined, e.id, path + '/', out);
    else walk(reader, e.id, undefined, path + '/', out);
    return;
  }
  if (status === 'added') out.push({ path, status, newMode: e.mode, newId: e.id });
  else out.push({ path, status, oldMode: e.mode, oldId: e.id });
}

function entryNamed(reader: ObjectReader, tree: ObjectId, name: string): PathEntry | undefined {
  return findTreeEntry(readTyped(reader, tree, 'tree').data, name);
}

/**
 * Whether anything at or below `path` differs between two trees (`git log -- path` filtering).
 * Walks only the path's components and compares ids, so it never reads unrelated subtrees.
 */
export function pathChanged(reader: ObjectReader, oldTree: ObjectId | undefined, newTree: ObjectId | undefined, path: string): boolean {
  const parts = path.split('/').filter((p) => p !== '');
  let a: ObjectId | undefined = oldTree;
  let b: ObjectId | undefined = newTree;
  for (let k = 0; k < parts.length; k++) {
    if (a === b) return false;
    const ea = a ? entryNamed(reader, a, parts[k]) : undefined;
    const eb = b ? entryNamed(reader, b, parts[k]) : undefined;
    if (k === parts.length - 1) return !(ea === eb || (ea && eb && ea.id === eb.id && ea.mode === eb.mode));
    // Only a directory can hold the rest of the path; a file on the way counts as absent.
    a = ea && ea.mode === MODE_TREE ? ea.id : undefined;
    b = eb && eb.mode === MODE_TREE ? eb.id : undefined;
  }
  return a !== b;
}
