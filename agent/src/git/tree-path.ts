// Looking up a path inside a tree, one component at a time, without reading unrelated subtrees. The hot read path:
// entries are scanned in the raw tree bytes, so a lookup allocates nothing per skipped entry.
import { LRUCache } from 'lru-cache';
import { FileMode, MODE_TREE, ObjectId, ObjectReader, decodeTree, GitFormatError } from './objects.js';
import { readTyped } from './object-errors.js';

export interface PathEntry {
  mode: FileMode;
  id: ObjectId;
}

const MODES: Record<string, FileMode> = { '100644': '100644', '100755': '100755', '120000': '120000', '40000': '40000', '160000': '160000', '040000': '40000' };

export function readTree(reader: ObjectReader, id: ObjectId) {
  return decodeTree(treeData(reader, id));
}

function treeData(reader: ObjectReader, id: ObjectId): Buffer {
  return readTyped(reader, id, 'tree').data;
}

/**
 * End of the mode (the space) and of the name (the NUL) of the entry starting at `p`. Plain loops: entries are short, and a
 * Buffer.indexOf call per field costs more than scanning the few bytes.
 */
export function entryBounds(data: Buffer, p: number): [sp: number, nul: number] {
  let sp = p;
  while (sp < data.length && data[sp] !== 0x20) sp++;
  let nul = sp + 1;
  while (nul < data.length && data[nul] !== 0) nul++;
  if (nul + 21 > data.length) throw new GitFormatError('truncated tree entry');
  return [sp, nul];
}

export function sameBytes(data: Uint8Array, start: number, end: number, name: Uint8Array): boolean {
  if (end - start !== name.length) return false;
  for (let k = 0; k < name.length; k++) if (data[start + k] !== name[k]) return false;
  return true;
}

/**
 * Name → entry indexes of recently read large trees. Trees are immutable and named by content, so an index is valid
 * forever and can be shared by every repository that holds the same tree.
 */
const INDEXED_MIN_ENTRIES = 32;
// Bounded by entries held (each ~150 bytes with its strings), not by tree count: one huge tree must not pin memory.
const treeIndexes = new LRUCache<string, Map<string, PathEntry>>({ maxSize: 200_000, sizeCalculation: (m) => m.size });

/** Like findTreeEntry, but a large tree read again is looked up through a cached index. */
export function findTreeEntryById(id: ObjectId, data: Buffer, name: string): PathEntry | undefined {
  const index = treeIndexes.get(id);
  if (index) return index.get(name);
  // A tree of n entries is at least 22n bytes; only trees large enough for scanning to hurt get an index.
  if (data.length >= INDEXED_MIN_ENTRIES * 22) {
    const built = new Map<string, PathEntry>();
    for (const e of decodeTree(data)) built.set(e.name, { mode: e.mode, id: e.id });
    if (built.size >= INDEXED_MIN_ENTRIES) {
      treeIndexes.set(id, built);
      return built.get(name);
    }
  }
  return findTreeEntry(data, name);
}

/** The entry called `name` in raw tree bytes, or undefined. */
export function findTreeEntry(data: Buffer, name: string): PathEntry | undefined {
  const target = Buffer.from(name, 'utf8');
  for (let i = 0; i < data.length; ) {
    const [sp, nul] = entryBounds(data, i);
    if (sameBytes(data, sp + 1, nul, target)) {
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
    const next = findTreeEntryById(current.id, treeData(reader, current.id), name);
    if (!next) return undefined;
    current = next;
  }
  return current;
}
