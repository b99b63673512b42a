// The first phase of git's ort merge (collect_merge_info): one walk over the base tree and both sides that resolves
// what it can on the spot, records every other path with its three versions, and gathers what rename detection needs —
// each side's additions and deletions in walk order, which deletions matter (relevant sources) and which directories
// disappeared. Directories changed on one side only are set aside and taken whole unless renames might reach into them.
import { MODE_TREE, type FileMode, type ObjectId, type ObjectReader, type TreeEntry } from './objects.js';
import {
  NOT_RELEVANT, RELEVANT_CONTENT, RELEVANT_FOR_ANCESTOR, RELEVANT_FOR_SELF, RELEVANT_LOCATION, type SidePair,
} from './rename-detect.js';
import { strmapOrder } from './strmap-order.js';
import { readTree } from './tree-diff.js';

export interface Stage {
  mode: FileMode;
  id: ObjectId;
}

/** What the merge knows about one path (ort's merged_info / conflict_info). */
export interface PathInfo {
  /** The containing directory ('' at the top). */
  dirName: string;
  /** Resolved: `result` (or nothing, when isNull) is final. */
  clean: boolean;
  isNull: boolean;
  result?: Stage;
  /** Base, side 1, side 2 (unresolved paths only). */
  stages: [Stage | undefined, Stage | undefined, Stage | undefined];
  /** Bit i: version i is a file (filemask) or a directory (dirmask). */
  filemask: number;
  dirmask: number;
  /** Which versions are equal: 0, or the bits of at least two matching ones. */
  matchMask: number;
  dfConflict: boolean;
  /** A conflict about where the path goes (rename/rename, rename/delete, directory rename). */
  pathConflict: boolean;
}

export interface MergeConflict {
  path: string;
  /** git's conflict kind: content, add/add, modify/delete, file/directory, binary, mode, symlink, submodule, distinct types, rename/rename, rename/delete, directory rename, directory rename split. */
  reason: string;
}

export class MergeState {
  readonly paths = new Map<string, PathInfo>();
  /** Per side (index 1, 2): additions and deletions in walk order. */
  readonly pairs: SidePair[][] = [[], [], []];
  readonly relevantSources = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  readonly dirsRemoved = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  /** Directories changed on one side only, with the dir-rename mask to resume the walk with. */
  possibleTrivial = [new Map<string, number>(), new Map<string, number>(), new Map<string, number>()];
  trivialOkay = [true, true, true];
  /** 0: nothing special; 2 or 4: in a directory removed on the other side; 7: directory rename detection needed. */
  dirRenameMask = 0;
  readonly conflicts: MergeConflict[] = [];
  constructor(readonly reader: ObjectReader) {}
}

type Names = [Stage | undefined, Stage | undefined, Stage | undefined];

const same = (x: Stage | undefined, y: Stage | undefined): boolean => !!x && !!y && x.mode === y.mode && x.id === y.id;
const ASCII = /^[\x00-\x7f]*$/;

/** Byte order of names, as git's tree walk visits them. */
export function compareNames(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Walks base, side 1 and side 2 and resolves the directories set aside (collect_merge_info + handle_deferred_entries). */
export function collect(state: MergeState, base: ObjectId | undefined, side1: ObjectId, side2: ObjectId): void {
  walk(state, '', [base, side1, side2]);
  for (const side of [1, 2]) {
    // Nothing cached from earlier merges: a side with any relevant rename source needs all of its additions.
    const okay = state.relevantSources[side].size === 0;
    state.trivialOkay[side] = okay;
    const deferred = state.possibleTrivial[side];
    state.possibleTrivial[side] = new Map();
    // In git's hash order: the additions found first come first in rename detection.
    for (const path of strmapOrder(deferred.keys())) {
      const mask = deferred.get(path)!;
      const ci = state.paths.get(path)!;
      if (okay) {
        resolveTrivially(ci, side);
        continue;
      }
      ci.matchMask &= ci.filemask;
      state.dirRenameMask = mask;
      walk(state, path, ci.stages.map((s) => (s?.mode === MODE_TREE ? s.id : undefined)) as [ObjectId?, ObjectId?, ObjectId?]);
    }
    for (const path of state.possibleTrivial[side].keys()) resolveTrivially(state.paths.get(path)!, side);
  }
  state.dirRenameMask = 0;
}

function resolveTrivially(ci: PathInfo, side: number): void {
  ci.result = ci.stages[side];
  ci.isNull = !ci.result;
  ci.matchMask = 0;
  ci.clean = true;
}

function walk(state: MergeState, dir: string, trees: [ObjectId?, ObjectId?, ObjectId?]): void {
  const rows = new Map<string, (TreeEntry | undefined)[]>();
  trees.forEach((id, i) => {
    if (!id) return;
    for (const e of readTree(state.reader, id)) {
      let row = rows.get(e.name);
      if (!row) rows.set(e.name, (row = [undefined, undefined, undefined]));
      row[i] ??= e;
    }
  });
  const names = [...rows.keys()].sort(compareNames);
  if (state.dirRenameMask === 2 || state.dirRenameMask === 4) {
    // In a directory the other side removed: a file added here means its new location matters (traverse_trees_wrapper).
    for (const name of names) {
      const { filemask } = masks(rows.get(name)!);
      if (filemask !== 0 && filemask === state.dirRenameMask) state.dirRenameMask = 7;
    }
  }
  for (const name of names) visit(state, dir, name, rows.get(name)!);
}

function masks(row: (TreeEntry | undefined)[]): { mask: number; dirmask: number; filemask: number } {
  let mask = 0;
  let dirmask = 0;
  row.forEach((e, i) => {
    if (!e) return;
    mask |= 1 << i;
    if (e.mode === MODE_TREE) dirmask |= 1 << i;
  });
  return { mask, dirmask, filemask: mask & ~dirmask };
}

function resolved(state: MergeState, path: string, dir: string, v: Stage): void {
  state.paths.set(path, {
    dirName: dir, clean: true, isNull: false, result: v, stages: [undefined, undefined, undefined], filemask: 0, dirmask: 0, matchMask: 0,
    dfConflict: false, pathConflict: false,
  });
}

/** One name in all three trees (collect_merge_info_callback). */
function visit(state: MergeState, dir: string, name: string, row: (TreeEntry | undefined)[]): void {
  const names = row.map((e) => (e ? { mode: e.mode, id: e.id } : undefined)) as Names;
  const { dirmask, filemask } = masks(row);
  const prevMask = state.dirRenameMask;
  const side1Base = same(names[0], names[1]);
  const side2Base = same(names[0], names[2]);
  const sidesMatch = same(names[1], names[2]);
  const matchMask = side1Base ? (side2Base ? 7 : 3) : side2Base ? 5 : sidesMatch ? 6 : 0;
  const path = dir === '' ? name : `${dir}/${name}`;
  if (side1Base && side2Base) return resolved(state, path, dir, names[0]!);
  if (sidesMatch && filemask === 7) return resolved(state, path, dir, names[1]!);
  if (side1Base && filemask === 7) return resolved(state, path, dir, names[2]!);
  if (side2Base && filemask === 7) return resolved(state, path, dir, names[1]!);
  collectRenameInfo(state, names, dir, path, filemask, dirmask, matchMask);
  const ci: PathInfo = {
    dirName: dir, clean: false, isNull: dirmask !== 0, stages: names, filemask, dirmask, matchMask,
    dfConflict: filemask !== 0 && dirmask !== 0, pathConflict: false,
  };
  state.paths.set(path, ci);
  if (!dirmask) return;
  let side = side1Base ? 2 : side2Base ? 1 : 0;
  if (filemask === 0 && (dirmask === 2 || dirmask === 4)) {
    // A directory new on one side only.
    ci.matchMask = 7 - dirmask;
    side = dirmask / 2;
  }
  if (state.dirRenameMask !== 7 && side !== 0 && state.trivialOkay[side]) {
    state.possibleTrivial[side].set(path, state.dirRenameMask);
    state.dirRenameMask = prevMask;
    return;
  }
  ci.matchMask &= filemask;
  walk(state, path, names.map((s) => (s?.mode === MODE_TREE ? s.id : undefined)) as [ObjectId?, ObjectId?, ObjectId?]);
  state.dirRenameMask = prevMask;
}

/** Records one path's part in rename detection (collect_rename_info). */
function collectRenameInfo(state: MergeState, names: Names, dir: string, path: string, filemask: number, dirmask: number, matchMask: number): void {
  // A directory removed on one side: files the other side adds inside it may need to follow it.
  if (state.dirRenameMask !== 7 && (dirmask === 3 || dirmask === 5)) state.dirRenameMask = dirmask & ~1;
  if (dirmask === 1 || dirmask === 3 || dirmask === 5) {
    const sides = (7 - dirmask) / 2;
    const relevance = state.dirRenameMask === 7 ? RELEVANT_FOR_ANCESTOR : NOT_RELEVANT;
    if (sides & 1) state.dirsRemoved[1].set(path, relevance);
    if (sides & 2) state.dirsRemoved[2].set(path, relevance);
  }
  if (state.dirRenameMask === 7 && (filemask === 2 || filemask === 4)) {
    state.dirsRemoved[3 - (filemask >> 1)].set(dir, RELEVANT_FOR_SELF);
  }
  if (filemask === 0 || filemask === 7) return;
  for (const side of [1, 2]) {
    const bit = 1 << side;
    if (filemask & 1 && !(filemask & bit)) {
      const content = (matchMask & filemask) === 0;
      if (content || state.dirRenameMask === 7) state.relevantSources[side].set(path, content ? RELEVANT_CONTENT : RELEVANT_LOCATION);
      state.pairs[side].push({ status: 'D', one: { path, ...names[0]! } });
    }
    if (!(filemask & 1) && filemask & bit) state.pairs[side].push({ status: 'A', two: { path, ...names[side]! } });
  }
}
