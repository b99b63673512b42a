// Looking up a path inside a tree, one component at a time, without reading unrelated subtrees.
import { FileMode, MODE_TREE, ObjectId, ObjectReader, decodeTree, GitFormatError } from './objects.js';

export interface PathEntry {
  mode: FileMode;
  id: ObjectId;
}

export function readTree(reader: ObjectReader, id: ObjectId) {
  const obj = reader.readObject(id);
  if (!obj || obj.type !== 'tree') throw new GitFormatError(`tree ${id} is missing`);
  return decodeTree(obj.data);
}

/** The entry at `path` ("" = the tree itself), or undefined when no such path exists. */
export function lookupPath(reader: ObjectReader, tree: ObjectId, path: string): PathEntry | undefined {
  let current: PathEntry = { mode: MODE_TREE, id: tree };
  if (path === '') return current;
  for (const name of path.split('/')) {
    if (current.mode !== MODE_TREE) return undefined;
    const next = readTree(reader, current.id).find((e) => e.name === name);
    if (!next) return undefined;
    current = next;
  }
  return current;
}
