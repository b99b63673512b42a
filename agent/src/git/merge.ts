// Three-way merge of trees with the results of `git merge-tree --write-tree` (the ort strategy)
// for everything that merges cleanly, minus rename detection: a rename is seen as delete + add.
// Everything is computed in memory first; objects are written only once the whole merge is clean.
import { diffRecords, splitLines, type LineChange } from './line-diff.js';
import { mergeBases } from './merge-base.js';
import {
  GitFormatError,
  MODE_TREE,
  decodeCommit,
  encodeTree,
  hashObject,
  type FileMode,
  type GitObject,
  type ObjectId,
  type ObjectReader,
  type ObjectType,
  type TreeEntry,
} from './objects.js';
import { isBinary } from './patch.js';
import { fileType, readTree } from './tree-diff.js';

export interface MergeWriter {
  writeObject(type: ObjectType, data: Buffer): ObjectId;
}

export interface MergeConflict {
  path: string;
  /** git's conflict kind: content, add/add, modify/delete, file/directory, binary, mode, symlink, submodule, distinct types. */
  reason: string;
}

export type TreeMergeResult = { clean: true; tree: ObjectId } | { clean: false; conflicts: MergeConflict[] };

// ---------------------------------------------------------------- text

interface Region {
  /** 0 conflict, 1 take ours, 2 take theirs, 4 both sides made the same change (xdiff's modes). */
  mode: number;
  i0: number;
  chg0: number;
  i1: number;
  chg1: number;
  i2: number;
  chg2: number;
}

function sameLines(a: readonly string[], i: number, b: readonly string[], j: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a[i + k] !== b[j + k]) return false;
  return true;
}

/**
 * Line-based three-way merge as git's xdl_merge does it: changes from the two sides that overlap
 * or merely touch (no unchanged base line between them) conflict unless they are identical.
 * Returns the merged bytes, or undefined when there is a conflict.
 */
export function mergeText(base: Buffer, ours: Buffer, theirs: Buffer): Buffer | undefined {
  const o = splitLines(base.toString('latin1'));
  const a = splitLines(ours.toString('latin1'));
  const b = splitLines(theirs.toString('latin1'));
  // Merges run xdiff without the indent heuristic (it is a `git diff` option only).
  const x1 = diffRecords(o, a, false);
  const x2 = diffRecords(o, b, false);
  if (x1.length === 0) return theirs;
  if (x2.length === 0) return ours;
  const regions: Region[] = [];
  const append = (r: Region): void => {
    const m = regions[regions.length - 1];
    if (m && (r.i1 <= m.i1 + m.chg1 || r.i2 <= m.i2 + m.chg2)) {
      if (r.mode !== m.mode) m.mode = 0;
      m.chg0 = r.i0 + r.chg0 - m.i0;
      m.chg1 = r.i1 + r.chg1 - m.i1;
      m.chg2 = r.i2 + r.chg2 - m.i2;
    } else regions.push(r);
  };
  const onlyOurs = (s: LineChange, i2: number): Region => ({ mode: 1, i0: s.i1, chg0: s.chg1, i1: s.i2, chg1: s.chg2, i2, chg2: s.chg1 });
  const onlyTheirs = (s: LineChange, i1: number): Region => ({ mode: 2, i0: s.i1, chg0: s.chg1, i1, chg1: s.chg1, i2: s.i2, chg2: s.chg2 });
  let p = 0;
  let q = 0;
  while (p < x1.length && q < x2.length) {
    const s1 = x1[p];
    const s2 = x2[q];
    // Positions in one side's text are mapped through the other side's nearest change.
    if (s1.i1 + s1.chg1 < s2.i1) {
      append(onlyOurs(s1, s2.i2 - s2.i1 + s1.i1));
      p++;
      continue;
    }
    if (s2.i1 + s2.chg1 < s1.i1) {
      append(onlyTheirs(s2, s1.i2 - s1.i1 + s2.i1));
      q++;
      continue;
    }
    const identical = s1.i1 === s2.i1 && s1.chg1 === s2.chg1 && s1.chg2 === s2.chg2 && sameLines(a, s1.i2, b, s2.i2, s1.chg2);
    if (!identical) {
      // The conflict spans the union of both changes' base ranges.
      const off = s1.i1 - s2.i1;
      const ffo = off + s1.chg1 - s2.chg1;
      let i0 = s1.i1;
      let i1 = s1.i2;
      let i2 = s2.i2;
      if (off > 0) (i0 -= off), (i1 -= off);
      else i2 += off;
      let chg0 = s1.i1 + s1.chg1 - i0;
      let chg1 = s1.i2 + s1.chg2 - i1;
      let chg2 = s2.i2 + s2.chg2 - i2;
      if (ffo < 0) (chg0 -= ffo), (chg1 -= ffo);
      else chg2 += ffo;
      append({ mode: 0, i0, chg0, i1, chg1, i2, chg2 });
    }
    const e1 = s1.i1 + s1.chg1;
    const e2 = s2.i1 + s2.chg1;
    if (e1 >= e2) q++;
    if (e2 >= e1) p++;
  }
  for (; p < x1.length; p++) append(onlyOurs(x1[p], x1[p].i1 + b.length - o.length));
  for (; q < x2.length; q++) append(onlyTheirs(x2[q], x2[q].i1 + a.length - o.length));
  for (const m of regions) {
    if (m.mode !== 0) continue;
    // git's zealous level: a conflict whose two sides read the same is no conflict.
    if (m.chg1 > 0 && m.chg2 > 0 && m.chg1 === m.chg2 && sameLines(a, m.i1, b, m.i2, m.chg1)) m.mode = 4;
    else return undefined;
  }
  // Rebuild from our text, splicing in their side of every region they own.
  let out = '';
  let i = 0;
  for (const m of regions) {
    if (m.mode === 1) out += a.slice(i, m.i1 + m.chg1).join('');
    else if (m.mode === 2) out += b.slice(m.i2 - m.i1 + i, m.i2 + m.chg2).join('');
    else continue;
    i = m.i1 + m.chg1;
  }
  out += a.slice(i).join('');
  return Buffer.from(out, 'latin1');
}

// ---------------------------------------------------------------- trees

interface Entry {
  mode: FileMode;
  id: ObjectId;
}

interface Ctx {
  reader: ObjectReader;
  /** Objects the merge created, by id, in creation order (children before parents). */
  pending: Map<ObjectId, GitObject>;
  conflicts: MergeConflict[];
}

const same = (x: Entry | undefined, y: Entry | undefined): boolean =>
  x === y || (x !== undefined && y !== undefined && x.id === y.id && x.mode === y.mode);

function store(ctx: Ctx, type: ObjectType, data: Buffer): ObjectId {
  const id = hashObject(type, data);
  if (!ctx.pending.has(id)) ctx.pending.set(id, { type, data });
  return id;
}

function readBlob(ctx: Ctx, e: Entry | undefined): Buffer {
  // A base that is not a file (absent, gitlink) contributes nothing, as an empty ancestor does in git.
  if (!e || fileType(e.mode) === 'gitlink' || e.mode === MODE_TREE) return Buffer.alloc(0);
  const obj = ctx.reader.readObject(e.id);
  if (!obj) throw new GitFormatError(`missing blob ${e.id}`);
  if (obj.type !== 'blob') throw new GitFormatError(`object ${e.id} is a ${obj.type}, expected a blob`);
  return obj.data;
}

/** Two non-tree entries that both changed, differently. */
function mergeFile(ctx: Ctx, path: string, o: Entry | undefined, a: Entry | undefined, b: Entry | undefined): Entry | undefined {
  const conflict = (reason: string): Entry | undefined => {
    ctx.conflicts.push({ path, reason });
    return a ?? b;
  };
  if (!a || !b) return conflict('modify/delete');
  const ta = fileType(a.mode);
  if (ta !== fileType(b.mode)) return conflict('distinct types');
  if (ta === 'gitlink') return conflict('submodule'); // git would look inside the submodule; we cannot
  if (ta === 'symlink') return conflict(o ? 'symlink' : 'add/add');
  // ort's mode rule: take their mode unless only we changed it; both changing it differently conflicts.
  let mode = b.mode;
  if (a.mode !== b.mode && a.mode !== o?.mode) {
    mode = a.mode;
    if (b.mode !== o?.mode) return conflict('mode');
  }
  if (a.id === b.id) return { mode, id: a.id };
  if (o && a.id === o.id) return { mode, id: b.id };
  if (o && b.id === o.id) return { mode, id: a.id };
  const base = readBlob(ctx, o);
  const x = readBlob(ctx, a);
  const y = readBlob(ctx, b);
  if (isBinary(base) || isBinary(x) || isBinary(y)) return conflict('binary');
  const merged = mergeText(base, x, y);
  if (!merged) return conflict(o ? 'content' : 'add/add');
  return { mode, id: store(ctx, 'blob', merged) };
}

/** Merges one name. A path may be a file on one side and a directory on another, so the
 *  directory part and the file part are merged separately and must not both survive. */
function mergeEntry(ctx: Ctx, path: string, o: Entry | undefined, a: Entry | undefined, b: Entry | undefined): Entry | undefined {
  if (same(a, b)) return a;
  if (same(o, a)) return b;
  if (same(o, b)) return a;
  const tree = (e: Entry | undefined) => (e?.mode === MODE_TREE ? e : undefined);
  const file = (e: Entry | undefined) => (e && e.mode !== MODE_TREE ? e : undefined);
  let dir: Entry | undefined;
  const [oT, aT, bT] = [tree(o), tree(a), tree(b)];
  if (same(aT, bT)) dir = aT;
  else if (same(oT, aT)) dir = bT;
  else if (same(oT, bT)) dir = aT;
  else {
    const entries = mergeDir(ctx, path + '/', oT?.id, aT?.id, bT?.id);
    dir = entries.length > 0 ? { mode: MODE_TREE, id: store(ctx, 'tree', encodeTree(entries)) } : undefined;
  }
  let blob: Entry | undefined;
  const [oF, aF, bF] = [file(o), file(a), file(b)];
  if (same(aF, bF)) blob = aF;
  else if (same(oF, aF)) blob = bF;
  else if (same(oF, bF)) blob = aF;
  else blob = mergeFile(ctx, path, oF, aF, bF);
  if (dir && blob) ctx.conflicts.push({ path, reason: 'file/directory' });
  return dir ?? blob;
}

function byName(ctx: Ctx, id: ObjectId | undefined): Map<string, Entry> {
  const m = new Map<string, Entry>();
  if (id) for (const e of readTree(ctx.reader, id)) if (!m.has(e.name)) m.set(e.name, e);
  return m;
}

function mergeDir(ctx: Ctx, prefix: string, o: ObjectId | undefined, a: ObjectId | undefined, b: ObjectId | undefined): TreeEntry[] {
  const [mo, ma, mb] = [byName(ctx, o), byName(ctx, a), byName(ctx, b)];
  const names = new Set([...mo.keys(), ...ma.keys(), ...mb.keys()]);
  const out: TreeEntry[] = [];
  for (const name of names) {
    const e = mergeEntry(ctx, prefix + name, mo.get(name), ma.get(name), mb.get(name));
    if (e) out.push({ name, mode: e.mode, id: e.id });
  }
  return out;
}

/** Computes a merge without writing anything; `pending` holds every object the result needs. */
function computeMerge(ctx: Ctx, base: ObjectId | undefined, ours: ObjectId, theirs: ObjectId): ObjectId | undefined {
  readTree(ctx.reader, ours); // reject non-trees even when the merge is trivial
  readTree(ctx.reader, theirs);
  if (ours === theirs || base === theirs) return ours;
  if (base === ours) return theirs;
  const entries = mergeDir(ctx, '', base, ours, theirs);
  return ctx.conflicts.length > 0 ? undefined : store(ctx, 'tree', encodeTree(entries));
}

/** Writes the pending objects reachable from `root`, children first, so a store never sees a dangling link. */
function flush(pending: Map<ObjectId, GitObject>, writer: MergeWriter, root: ObjectId): void {
  const done = new Set<ObjectId>();
  const visit = (id: ObjectId): void => {
    const obj = pending.get(id);
    if (!obj || done.has(id)) return;
    done.add(id);
    if (obj.type === 'tree') for (const e of readTree({ readObject: (x) => pending.get(x) }, id)) visit(e.id);
    const written = writer.writeObject(obj.type, obj.data);
    if (written !== id) throw new Error(`writer stored ${obj.type} ${id} as ${written}`);
  };
  visit(root);
}

function overlay(reader: ObjectReader, pending: Map<ObjectId, GitObject>): ObjectReader {
  return { readObject: (id) => pending.get(id) ?? reader.readObject(id) };
}

/**
 * 3-way merge of trees `ours` and `theirs` against `base` (undefined = empty). Clean results
 * equal `git merge-tree --write-tree` for the same trees (no rename detection). On a conflict
 * nothing is written through `writer` and every conflicting path is reported.
 */
export function mergeTrees(reader: ObjectReader, writer: MergeWriter, base: ObjectId | undefined, ours: ObjectId, theirs: ObjectId): TreeMergeResult {
  const pending = new Map<ObjectId, GitObject>();
  const ctx: Ctx = { reader: overlay(reader, pending), pending, conflicts: [] };
  const tree = computeMerge(ctx, base, ours, theirs);
  if (tree === undefined) return { clean: false, conflicts: ctx.conflicts };
  flush(pending, writer, tree);
  return { clean: true, tree };
}

function treeOf(reader: ObjectReader, commit: ObjectId): ObjectId {
  const obj = reader.readObject(commit);
  if (!obj || obj.type !== 'commit') throw new GitFormatError(`${commit} is not a commit`);
  return decodeCommit(obj.data).tree;
}

/**
 * Base tree for merging two commits. With several best common ancestors (criss-cross history)
 * they are merged into a virtual base like git's ort: left to right, each step using the merge
 * bases of the first base and the next one. If merging the bases conflicts, git would bake
 * conflict markers into the virtual base; we report the merge as conflicted instead.
 */
function baseTree(ctx: Ctx, bases: ObjectId[], depth: number): ObjectId | undefined {
  if (bases.length === 0) return undefined;
  let acc = treeOf(ctx.reader, bases[0]);
  for (const next of bases.slice(1)) {
    if (depth > 32) throw new Error('merge-base recursion too deep');
    const inner = baseTree(ctx, mergeBases(ctx.reader, bases[0], next), depth + 1);
    if (ctx.conflicts.length > 0) return undefined;
    const merged = computeMerge(ctx, inner, acc, treeOf(ctx.reader, next));
    if (merged === undefined) {
      for (const c of ctx.conflicts) c.reason = `merge bases: ${c.reason}`;
      return undefined;
    }
    acc = merged;
  }
  return acc;
}

/** Merges two commits' trees over their merge base(s); `bases` are the commits used. */
export function mergeCommits(reader: ObjectReader, writer: MergeWriter, ours: ObjectId, theirs: ObjectId): TreeMergeResult & { bases: ObjectId[] } {
  const pending = new Map<ObjectId, GitObject>();
  const ctx: Ctx = { reader: overlay(reader, pending), pending, conflicts: [] };
  const bases = mergeBases(reader, ours, theirs);
  const base = baseTree(ctx, bases, 0);
  if (ctx.conflicts.length > 0) return { clean: false, conflicts: ctx.conflicts, bases };
  const tree = computeMerge(ctx, base, treeOf(reader, ours), treeOf(reader, theirs));
  if (tree === undefined) return { clean: false, conflicts: ctx.conflicts, bases };
  flush(pending, writer, tree);
  return { clean: true, tree, bases };
}
