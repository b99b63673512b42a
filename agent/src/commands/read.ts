// Reading files and directories at a revision.
import { invalid, notFound } from '../errors.js';
import { FileMode, MODE_TREE, ObjectId, entryKind } from '../git/objects.js';
import { pathProblem } from '../git/refname.js';
import { readTyped } from '../git/object-errors.js';
import { lookupPath, readTree } from '../git/tree-path.js';
import { LRUCache } from 'lru-cache';
import { Repository } from '../store/repository.js';
import { type ObjectView } from './object-view.js';
import { commitTree, resolveCommit, resolveObject } from './resolve.js';

export interface TreeListing {
  commit: ObjectId;
  path: string;
  id: ObjectId;
  entries: { name: string; path: string; type: 'blob' | 'tree' | 'commit'; mode: FileMode; id: ObjectId; size: number | null }[];
}

function checkPath(path: string, allowRoot: boolean): string {
  const p = path.replace(/\/+$/, '');
  if (p === '' && allowRoot) return '';
  const problem = pathProblem(p);
  if (problem) throw invalid('invalid_path', `path ${JSON.stringify(path)} ${problem}`);
  return p;
}

interface FileAt {
  commit: ObjectId;
  id: ObjectId;
  mode: FileMode;
}

/**
 * (revision object, path) → the file there. Objects are immutable and named by content, so an entry never goes stale and
 * can be shared by every repository; the blob itself is still read from the asking repository. Hot files of hot branches
 * are what reads mostly ask for: a hit skips the tag peel, the commit and every tree on the path.
 */
const filesAt = new LRUCache<string, FileAt>({ max: 100_000 });

export function readFile(repo: Repository, rev: string, path: string): FileAt & { data: Buffer } {
  const object = resolveObject(repo, rev, 'committish');
  const key = `${object}:${path}`;
  let at = filesAt.get(key);
  if (!at) {
    at = locateFile(repo, object, rev, path);
    filesAt.set(key, at);
  }
  if (at.mode === '160000') throw notFound('path_not_found', `${path} is a submodule at ${rev}, not a file`);
  const obj = readTyped(repo.objects, at.id, 'blob'); // a tree entry naming a missing or non-blob object is 422
  return { commit: at.commit, id: at.id, mode: at.mode, data: obj.data };
}

function locateFile(repo: Repository, object: ObjectId, rev: string, path: string): FileAt {
  const p = checkPath(path, false);
  const commit = resolveCommit(repo, object);
  const entry = lookupPath(repo.objects, commitTree(repo, commit), p);
  if (!entry) throw notFound('path_not_found', `${p} does not exist at ${rev}`);
  if (entry.mode === MODE_TREE) throw invalid('is_directory', `${p} is a directory; use the tree endpoint`);
  return { commit, id: entry.id, mode: entry.mode };
}

/** A directory found at a revision (main thread: the revision needs the refs), its entries not yet read. */
export interface TreeAt {
  commit: ObjectId;
  path: string;
  id: ObjectId;
  /** Size of the tree object: what listing it costs (about 30-40 bytes an entry). */
  bytes: number;
}

export function locateTree(repo: Repository, rev: string, path: string): TreeAt {
  const p = checkPath(path, true);
  const commit = resolveCommit(repo, rev);
  const entry = lookupPath(repo.objects, commitTree(repo, commit), p);
  if (!entry) throw notFound('path_not_found', `${p} does not exist at ${rev}`);
  if (entry.mode !== MODE_TREE) throw invalid('not_a_directory', `${p} is a file; use the files endpoint`);
  return { commit, path: p, id: entry.id, bytes: repo.objects.readObject(entry.id)?.data.length ?? 0 };
}

/** The listing of a located directory: every entry with its blob's size (a worker lists the large ones). */
export function treeListing(view: ObjectView, { commit, path: p, id }: TreeAt): TreeListing {
  const entries = readTree(view.objects, id).map((e) => {
    const type = entryKind(e.mode);
    const size = type === 'blob' ? view.objects.readObject(e.id)?.data.length ?? null : null;
    return { name: e.name, path: p === '' ? e.name : `${p}/${e.name}`, type, mode: e.mode, id: e.id, size };
  });
  return { commit, path: p, id, entries };
}

export function listTree(repo: Repository, rev: string, path: string): TreeListing {
  return treeListing(repo, locateTree(repo, rev, path));
}
