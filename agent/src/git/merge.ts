// Three-way merge of trees with the results of `git merge-tree --write-tree` (git's ort strategy with its defaults:
// renames detected at 50 % similarity, directory renames reported as conflicts). The phases live in merge-collect.ts,
// merge-renames.ts and merge-entries.ts. Everything is computed in memory first; objects are written only once the
// whole merge is clean.
import { mergeBases } from './merge-base.js';
import { MergeState, collect, type MergeConflict } from './merge-collect.js';
import { processEntries } from './merge-entries.js';
import { detectAndProcessRenames } from './merge-renames.js';
import { GitFormatError, decodeCommit, hashObject, type GitObject, type ObjectId, type ObjectReader, type ObjectType } from './objects.js';
import { readTyped } from './object-errors.js';
import { readTree } from './tree-diff.js';

export { mergeText } from './merge-text.js';
export type { MergeConflict } from './merge-collect.js';

export interface MergeWriter {
  writeObject(type: ObjectType, data: Buffer): ObjectId;
}

export type TreeMergeResult = { clean: true; tree: ObjectId } | { clean: false; conflicts: MergeConflict[] };

interface Ctx {
  reader: ObjectReader;
  /** Objects the merge created, by id, in creation order (children before parents). */
  pending: Map<ObjectId, GitObject>;
  conflicts: MergeConflict[];
}

function pendingWriter(ctx: Ctx) {
  return {
    writeObject(type: ObjectType, data: Buffer): ObjectId {
      const id = hashObject(type, data);
      if (!ctx.pending.has(id)) ctx.pending.set(id, { type, data });
      return id;
    },
  };
}

/** One conflict per path, the first reason found (git reports a path once in its conflicted list). */
function addConflicts(ctx: Ctx, found: MergeConflict[]): void {
  const seen = new Set(ctx.conflicts.map((c) => c.path));
  for (const c of found) {
    if (seen.has(c.path)) continue;
    seen.add(c.path);
    ctx.conflicts.push(c);
  }
}

/**
 * Computes a merge without writing anything; `pending` holds every object the result needs. `outer` is false for the
 * merges of merge bases into a virtual base, where git skips directory rename detection.
 */
function computeMerge(ctx: Ctx, base: ObjectId | undefined, ours: ObjectId, theirs: ObjectId, outer = true): ObjectId | undefined {
  readTree(ctx.reader, ours); // reject non-trees even when the merge is trivial
  readTree(ctx.reader, theirs);
  if (base !== undefined) readTree(ctx.reader, base);
  if (ours === theirs || base === theirs) return ours;
  if (base === ours) return theirs;
  const state = new MergeState(ctx.reader);
  const writer = pendingWriter(ctx);
  collect(state, base, ours, theirs);
  const renamesClean = detectAndProcessRenames(state, writer, outer);
  const tree = processEntries(state, writer);
  if (!renamesClean || state.conflicts.length > 0) {
    addConflicts(ctx, state.conflicts.length > 0 ? state.conflicts : [{ path: '', reason: 'rename' }]);
    return undefined;
  }
  return tree;
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
 * 3-way merge of trees `ours` and `theirs` against `base` (undefined = empty). Clean results equal
 * `git merge-tree --write-tree` for the same trees. On a conflict nothing is written through `writer` and every
 * conflicting path is reported.
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
  return decodeCommit(readTyped(reader, commit, 'commit').data).tree;
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
    if (depth > 32) throw new GitFormatError('merge-base recursion too deep');
    const inner = baseTree(ctx, mergeBases(ctx.reader, bases[0], next), depth + 1);
    if (ctx.conflicts.length > 0) return undefined;
    const merged = computeMerge(ctx, inner, acc, treeOf(ctx.reader, next), false);
    if (merged === undefined) {
      for (const c of ctx.conflicts) c.reason = `merge bases: ${c.reason}`;
      return undefined;
    }
    acc = merged;
  }
  return acc;
}

/** Merges two commits' trees over their merge base(s); `bases` are the commits used (none: unrelated histories). */
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
