// Editing a tree in its raw bytes: replace, delete and insert entries in one pass, copying unchanged runs as they are.
// A commit that touches one file in a directory of thousands then costs a scan and a copy, not a decode and re-encode of
// every entry.
import { FileMode, MODE_TREE, ObjectId } from './objects.js';
import { entryBounds, sameBytes } from './tree-path.js';

export interface TreeEditEntry {
  mode: FileMode;
  id: ObjectId;
}

/** name → new entry, or null to delete. Names not in the tree are inserted in git's order. */
export type TreeEdits = Map<string, TreeEditEntry | null>;

const SLASH = 0x2f;

/** Git's base_name_compare: names compare by bytes, with a tree's name continuing with '/'. */
function compareNames(a: Buffer, aStart: number, aEnd: number, aTree: boolean, b: Buffer, bTree: boolean): number {
  const aLen = aEnd - aStart;
  const n = Math.min(aLen, b.length);
  const c = a.compare(b, 0, n, aStart, aStart + n);
  if (c !== 0) return c;
  const ca = aLen > n ? a[aStart + n] : aTree ? SLASH : 0;
  const cb = b.length > n ? b[n] : bTree ? SLASH : 0;
  return ca - cb;
}

function encodeEntry(name: Buffer, e: TreeEditEntry): Buffer {
  const out = Buffer.allocUnsafe(e.mode.length + 1 + name.length + 1 + 20);
  let at = out.write(e.mode, 0, 'latin1');
  out[at++] = 0x20;
  at += name.copy(out, at);
  out[at++] = 0;
  out.write(e.id, at, 20, 'hex');
  return out;
}

/** Applies `edits` to raw tree bytes (a valid, sorted tree) and returns the new raw tree. */
export function editTree(data: Buffer, edits: TreeEdits): Buffer {
  // One scan finds the byte range and kind of every edited name that exists. Names are matched as bytes (by length
  // first), so unchanged entries cost no string allocation.
  const found = new Map<string, { start: number; end: number; tree: boolean }>();
  const wanted = new Map<number, { name: string; bytes: Buffer }[]>();
  for (const name of edits.keys()) {
    const bytes = Buffer.from(name, 'utf8');
    const list = wanted.get(bytes.length) ?? [];
    list.push({ name, bytes });
    wanted.set(bytes.length, list);
  }
  for (let p = 0; p < data.length && found.size < edits.size; ) {
    const [sp, nul] = entryBounds(data, p);
    const candidates = wanted.get(nul - sp - 1);
    if (candidates) {
      for (const c of candidates) {
        if (sameBytes(data, sp + 1, nul, c.bytes)) {
          found.set(c.name, { start: p, end: nul + 21, tree: data[p] === 0x34 && sp - p === 5 });
          break;
        }
      }
    }
    p = nul + 21;
  }
  // Entries replacing an existing name keep its place, unless they turn a file into a directory (or back), which moves
  // them in git's order: then they are a removal plus an insert.
  const removals: { start: number; end: number; entry: TreeEditEntry | null; name: string }[] = [];
  const inserts: { name: Buffer; entry: TreeEditEntry; tree: boolean }[] = [];
  for (const [name, entry] of edits) {
    const at = found.get(name);
    const tree = entry?.mode === MODE_TREE;
    if (at && (!entry || at.tree === tree)) removals.push({ ...at, entry, name });
    else if (at && entry) {
      removals.push({ ...at, entry: null, name });
      inserts.push({ name: Buffer.from(name, 'utf8'), entry, tree });
    } else if (entry) inserts.push({ name: Buffer.from(name, 'utf8'), entry, tree });
  }
  removals.sort((x, y) => x.start - y.start);
  inserts.sort((x, y) => compareNames(x.name, 0, x.name.length, x.tree, y.name, y.tree));

  const pieces: Buffer[] = [];
  let copied = 0; // bytes of `data` already emitted (or skipped)
  let r = 0;
  let next = 0;
  const copyTo = (end: number) => {
    if (end > copied) pieces.push(data.subarray(copied, end));
    copied = Math.max(copied, end);
  };
  // Walk entries only as far as needed to place inserts; removals are handled by their ranges.
  for (let p = 0; p < data.length && next < inserts.length; ) {
    const [sp, nul] = entryBounds(data, p);
    const tree = data[p] === 0x34 && sp - p === 5;
    while (next < inserts.length && compareNames(data, sp + 1, nul, tree, inserts[next].name, inserts[next].tree) > 0) {
      while (r < removals.length && removals[r].end <= p) emitRemoval(removals[r++]);
      copyTo(p);
      pieces.push(encodeEntry(inserts[next].name, inserts[next].entry));
      next++;
    }
    p = nul + 21;
  }
  while (r < removals.length) emitRemoval(removals[r++]);
  copyTo(data.length);
  for (; next < inserts.length; next++) pieces.push(encodeEntry(inserts[next].name, inserts[next].entry));
  return Buffer.concat(pieces);

  function emitRemoval(rm: (typeof removals)[number]): void {
    copyTo(rm.start);
    if (rm.entry) pieces.push(encodeEntry(Buffer.from(rm.name, 'utf8'), rm.entry));
    copied = rm.end;
  }
}
