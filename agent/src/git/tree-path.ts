// Looking up a path inside a tree, one component at a time, without reading unrelated subtrees. The hot read path:
// entries are scanned in the raw tree bytes, so a lookup allocates nothing per skipped entry.
import { FileMode, MODE_TREE, ObjectId, ObjectReader, decodeTree, GitFormatError } from './objects.js';

export interface PathEntry {
  mode: FileMode;
  id: ObjectId;
}

const MODES: Record<string, FileMode> = { '100644': '100644', '100755': '100755', '120000': '120000', '40000': '40000', '160000': '160000', '040000': '40000' };

export function readTree(reader: ObjectReader, id: ObjectId) {
  return decodeTree(treeData(reader, id));
}

function treeData(reader: ObjectReader, id: ObjectId): Buffer {
  const obj = reader.readObject(id);
  if (!obj || obj.type !== 'tree') throw new GitFormatError(`tree ${id} is missing`);
  return obj.data;
}

/** The entry called `name` in raw tree bytes, or undefined. */
export function findTreeEntry(data: Buffer, name: string): PathEntry | undefined {
  const target = Buffer.from(name, 'utf8');
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) throw new GitFormatError('truncated tree entry');
    if (nul - sp - 1 === target.length && data.compare(target, 0, target.length, sp + 1, nul) === 0) {
      const mode = MODES[data.toString('latin1', i, sp)] ?? decodeTree(data.subarray(i, nul + 21))[0].mode;
      return { mode, id: data.toString('hex', nul + 1, nul + 21) };
    }
    i = nul + 21;
  }
  return undefined;
}

/** The entry at `path` ("" = the tree itself), or undefined when no such path exists. */
export function lookupPath(reader: ObjectReader, tree: ObjectId, path: string): PathEntry | undefined {
  let current: PathEntry = { mode: MODE_TREE, id: tree };
  if (path === '') return current;
  for (const name of path.split('/')) {
    if (current.mode !== MODE_TREE) return undefined;
    const next = findTreeEntry(treeData(reader, current.id), name);
    if (!next) return undefined;
    current = next;
  }
  return current;
}
