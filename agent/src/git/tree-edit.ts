// Editing a tree in its raw bytes: replace, delete and insert entries in one pass, copying unchanged runs as they are.
// A commit that touches one file in a directory of thousands then costs a scan and a copy, not a decode and re-encode of
// every entry. The output is sized first and written into one buffer, with names, modes and ids encoded in JS: on a
// one-file commit the calls into C++ for small Buffers (from, concat, write) used to cost more than the bytes themselves.
import { writeHexId, utf8Bytes } from './hex.js';
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
function compareNames(a: Uint8Array, aStart: number, aEnd: number, aTree: boolean, b: Uint8Array, bTree: boolean): number {
  const aLen = aEnd - aStart;
  const n = Math.min(aLen, b.length);
  for (let k = 0; k < n; k++) {
    const d = a[aStart + k] - b[k];
    if (d !== 0) return d;
  }
  const ca = aLen > n ? a[aStart + n] : aTree ? SLASH : 0;
  const cb = b.length > n ? b[n] : bTree ? SLASH : 0;
  return ca - cb;
}

interface Edit {
  name: string;
  bytes: Uint8Array;
  entry: TreeEditEntry | null;
  tree: boolean;
  /** Byte range of the existing entry with this name, when there is one. */
  start: number;
  end: number;
  wasTree: boolean;
}

function entrySize(e: Edit): number {
  return e.entry!.mode.length + 1 + e.bytes.length + 1 + 20;
}

function writeEntry(out: Buffer, at: number, e: Edit): number {
  const mode = e.entry!.mode;
  for (let k = 0; k < mode.length; k++) out[at++] = mode.charCodeAt(k);
  out[at++] = 0x20;
  out.set(e.bytes, at);
  at += e.bytes.length;
  out[at++] = 0;
  if (!writeHexId(e.entry!.id, out, at)) throw new Error(`not an object id: ${e.entry!.id}`);
  return at + 20;
}

/** Applies `edits` to raw tree bytes (a valid, sorted tree) and returns the new raw tree. */
export function editTree(data: Buffer, edits: TreeEdits): Buffer {
  const all: Edit[] = [];
  for (const [name, entry] of edits) {
    all.push({ name, bytes: utf8Bytes(name), entry, tree: entry?.mode === MODE_TREE, start: -1, end: -1, wasTree: false });
  }
  // One scan finds the byte range and kind of every edited name that exists. Names are matched as bytes (by length
  // first), so unchanged entries cost no string allocation.
  let unfound = all.length;
  for (let p = 0; p < data.length && unfound > 0; ) {
    const [sp, nul] = entryBounds(data, p);
    const len = nul - sp - 1;
    for (const e of all) {
      if (e.start < 0 && e.bytes.length === len && sameBytes(data, sp + 1, nul, e.bytes)) {
        e.start = p;
        e.end = nul + 21;
        e.wasTree = data[p] === 0x34 && sp - p === 5;
        unfound--;
        break;
      }
    }
    p = nul + 21;
  }
  // Entries replacing an existing name keep its place, unless they turn a file into a directory (or back), which moves
  // them in git's order: then they are a removal plus an insert.
  const inPlace: Edit[] = [];
  const inserts: Edit[] = [];
  let size = data.length;
  for (const e of all) {
    if (e.start >= 0) {
      size -= e.end - e.start;
      inPlace.push(e);
      if (e.entry && e.wasTree !== e.tree) inserts.push(e);
    } else if (e.entry) inserts.push(e);
    if (e.entry) size += entrySize(e);
  }
  inPlace.sort((x, y) => x.start - y.start);
  inserts.sort((x, y) => compareNames(x.bytes, 0, x.bytes.length, x.tree, y.bytes, y.tree));

  const out = Buffer.allocUnsafe(size);
  let at = 0;
  let copied = 0; // bytes of `data` already emitted (or skipped)
  let r = 0;
  let next = 0;
  const copyTo = (end: number) => {
    if (end > copied) {
      out.set(data.subarray(copied, end), at);
      at += end - copied;
      copied = end;
    }
  };
  const emitInPlace = (e: Edit) => {
    copyTo(e.start);
    if (e.entry && e.wasTree === e.tree) at = writeEntry(out, at, e);
    copied = e.end;
  };
  // Walk entries only as far as needed to place inserts; in-place edits are handled by their ranges.
  for (let p = 0; p < data.length && next < inserts.length; ) {
    const [sp, nul] = entryBounds(data, p);
    const tree = data[p] === 0x34 && sp - p === 5;
    while (next < inserts.length && compareNames(data, sp + 1, nul, tree, inserts[next].bytes, inserts[next].tree) > 0) {
      while (r < inPlace.length && inPlace[r].end <= p) emitInPlace(inPlace[r++]);
      copyTo(p);
      at = writeEntry(out, at, inserts[next++]);
    }
    p = nul + 21;
  }
  while (r < inPlace.length) emitInPlace(inPlace[r++]);
  copyTo(data.length);
  while (next < inserts.length) at = writeEntry(out, at, inserts[next++]);
  if (at !== size) throw new Error(`tree edit wrote ${at} bytes, expected ${size}`);
  return out;
}
