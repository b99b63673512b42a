// Reading files and directories at a revision.
import { invalid, notFound } from '../errors.js';
import { FileMode, MODE_TREE, ObjectId, entryKind } from '../git/objects.js';
import { pathProblem } from '../git/refname.js';
import { lookupPath, readTree } from '../git/tree-path.js';
import { Repository } from '../store/repository.js';
import { commitTree, resolveCommit } from './resolve.js';

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

export function readFile(repo: Repository, rev: string, path: string): { commit: ObjectId; id: ObjectId; mode: FileMode; data: Buffer } {
  const p = checkPath(path, false);
  const commit = resolveCommit(repo, rev);
  const entry = lookupPath(repo.objects, commitTree(repo, commit), p);
  if (!entry) throw notFound('path_not_found', `${p} does not exist at ${rev}`);
  if (entry.mode === MODE_TREE) throw invalid('is_directory', `${p} is a directory; use the tree endpoint`);
  const obj = repo.objects.readObject(entry.id);
  if (!obj || obj.type !== 'blob') throw notFound('path_not_found', `${p} is not a file at ${rev}`);
  return { commit, id: entry.id, mode: entry.mode, data: obj.data };
}

export function listTree(repo: Repository, rev: string, path: string): TreeListing {
  const p = checkPath(path, true);
  const commit = resolveCommit(repo, rev);
  const entry = lookupPath(repo.objects, commitTree(repo, commit), p);
  if (!entry) throw notFound('path_not_found', `${p} does not exist at ${rev}`);
  if (entry.mode !== MODE_TREE) throw invalid('not_a_directory', `${p} is a file; use the files endpoint`);
  const entries = readTree(repo.objects, entry.id).map((e) => {
    const type = entryKind(e.mode);
    const size = type === 'blob' ? repo.objects.readObject(e.id)?.data.length ?? null : null;
    return { name: e.name, path: p === '' ? e.name : `${p}/${e.name}`, type, mode: e.mode, id: e.id, size };
  });
  return { commit, path: p, id: entry.id, entries };
}
