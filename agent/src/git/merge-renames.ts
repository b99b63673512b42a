// The rename phase of git's ort merge (detect_and_process_renames): each side's renames against the base, directory
// renames (with merge.directoryRenames=conflict, git's default: a path that would follow a directory the other side
// renamed is a conflict), then every rename folded into the path it leads to, so a later three-way merge of that path
// combines one side's rename with the other side's edits.
import { mergeContent, type BlobWriter } from './merge-content.js';
import { compareNames, type MergeState, type PathInfo } from './merge-collect.js';
import { fileType } from './tree-diff.js';
import { detectRenames, type FileSpec } from './rename-detect.js';

type RenamePair = { status: 'A' | 'R'; one?: FileSpec; two: FileSpec; side: number };

const conflict = (state: MergeState, path: string, reason: string) => state.conflicts.push({ path, reason });

/** Returns false when a rename makes the merge conflict; entries are updated for processEntries either way. */
export function detectAndProcessRenames(state: MergeState, writer: BlobWriter, directoryRenames: boolean): boolean {
  const possible = (side: number) => state.pairs[side].length > 0 && state.relevantSources[side].size > 0;
  if (!possible(1) && !possible(2)) return true;
  const dirRenameCount = [new Map<string, Map<string, number>>(), new Map<string, Map<string, number>>(), new Map<string, Map<string, number>>()];
  for (const side of [1, 2]) {
    if (!possible(side)) continue;
    state.pairs[side] = detectRenames({
      reader: state.reader, relevantSources: state.relevantSources[side], dirsRemoved: state.dirsRemoved[side], dirRenameCount: dirRenameCount[side],
    }, state.pairs[side]);
  }
  let clean = true;
  const dirRenames = [new Map<string, string>(), new Map<string, string>(), new Map<string, string>()];
  if (directoryRenames) {
    for (const side of [1, 2]) {
      for (const [from, counts] of dirRenameCount[side]) {
        let max = 0;
        let badMax = 0;
        let best = '';
        for (const [to, n] of counts) {
          if (n === max) badMax = max;
          else if (n > max) (max = n), (best = to);
        }
        if (max === 0) continue;
        if (badMax === max) {
          clean = false;
          conflict(state, from, 'directory rename split');
        } else dirRenames[side].set(from, best);
      }
    }
    // A directory both sides renamed is left to the file-level renames.
    for (const from of [...dirRenames[1].keys()]) {
      if (dirRenames[2].has(from)) {
        dirRenames[1].delete(from);
        dirRenames[2].delete(from);
      }
    }
  }
  const collisions = [new Map<string, string[]>(), computeCollisions(state, 1, dirRenames[2]), computeCollisions(state, 2, dirRenames[1])];
  const combined: RenamePair[] = [];
  for (const side of [1, 2]) {
    for (const p of state.pairs[side]) {
      if (p.status === 'D') continue;
      const moved = followDirectoryRename(state, p.two.path, side, dirRenames[3 - side], dirRenames[side], collisions);
      if (moved === false) clean = false;
      if (p.status !== 'R' && typeof moved !== 'string') continue;
      const pair: RenamePair = { ...p, two: { ...p.two }, side };
      if (typeof moved === 'string') {
        moveEntry(state, pair, moved);
        clean = false; // merge.directoryRenames=conflict: the new location is only a suggestion
      }
      if (pair.status === 'R') combined.push(pair);
    }
  }
  // Stable, by source path: a file renamed on both sides gives two neighbouring pairs, side 1 first.
  combined.sort((x, y) => compareNames(x.one!.path, y.one!.path));
  return processRenames(state, writer, combined) && clean;
}

/** The deepest directory above `path` that `renames` moved (check_dir_renamed). */
function renamedDir(path: string, renames: Map<string, string>): [string, string] | undefined {
  for (let end = path.lastIndexOf('/'); end > 0; end = path.lastIndexOf('/', end - 1)) {
    const dir = path.slice(0, end);
    const to = renames.get(dir);
    if (to !== undefined) return [dir, to];
  }
  return undefined;
}

function applyDirRename([from, to]: [string, string], path: string): string {
  return to === '' ? path.slice(from.length + 1) : to + path.slice(from.length);
}

/** New paths that the other side's directory renames would map this side's additions to (compute_collisions). */
function computeCollisions(state: MergeState, side: number, otherRenames: Map<string, string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (otherRenames.size === 0) return out;
  for (const p of state.pairs[side]) {
    if (p.status === 'D') continue;
    const r = renamedDir(p.two.path, otherRenames);
    if (!r) continue;
    const to = applyDirRename(r, p.two.path);
    const list = out.get(to);
    if (list) list.push(p.two.path);
    else out.set(to, [p.two.path]);
  }
  return out;
}

/** undefined: stays; a string: the new location; false: a conflict that keeps the path where it is (check_for_directory_rename). */
function followDirectoryRename(
  state: MergeState, path: string, side: number, otherRenames: Map<string, string>, ownRenames: Map<string, string>, collisions: Map<string, string[]>[],
): string | false | undefined {
  if (otherRenames.size === 0) return undefined;
  if (collisions[3 - side].has(path)) return undefined;
  const r = renamedDir(path, otherRenames);
  if (!r) return undefined;
  // Never into a directory this side renamed itself (that would be a spurious rename/rename).
  if (ownRenames.has(r[1])) return undefined;
  const to = applyDirRename(r, path);
  const sources = collisions[side].get(to) ?? [];
  const inWay = state.paths.get(to);
  if (inWay && (inWay.clean || ((inWay.filemask | inWay.dirmask) & (1 << side)) !== 0)) {
    conflict(state, to, 'directory rename');
    return false;
  }
  if (sources.length > 1) {
    conflict(state, to, 'directory rename');
    return false;
  }
  return to;
}

/** Moves a path's entry to where a directory rename leads (apply_directory_rename_modifications). */
function moveEntry(state: MergeState, pair: RenamePair, to: string): void {
  const from = pair.two.path;
  const ci = state.paths.get(from)!;
  state.paths.delete(from);
  const parentOf = (p: string) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
  for (let dir = parentOf(to); dir !== '' && !state.paths.has(dir); dir = parentOf(dir)) {
    state.paths.set(dir, {
      dirName: parentOf(dir), clean: false, isNull: true, stages: [undefined, undefined, undefined],
      filemask: 0, dirmask: ci.filemask, matchMask: 0, dfConflict: false, pathConflict: false,
    });
  }
  ci.dirName = parentOf(to);
  const existing = state.paths.get(to);
  if (!existing) state.paths.set(to, ci);
  else {
    existing.filemask |= ci.filemask;
    if (existing.dirmask) existing.dfConflict = true;
    const index = ci.filemask >> 1;
    existing.stages[index] = ci.stages[index];
  }
  (existing ?? ci).pathConflict = true;
  conflict(state, to, 'directory rename');
  pair.two.path = to;
}

function processRenames(state: MergeState, writer: BlobWriter, renames: RenamePair[]): boolean {
  let clean = true;
  for (let i = 0; i < renames.length; i++) {
    const pair = renames[i];
    const oldPath = pair.one!.path;
    const newPath = pair.two.path;
    const oldInfo = state.paths.get(oldPath);
    const newInfo = state.paths.get(newPath);
    if (!oldInfo || oldInfo.clean) continue;
    const next = renames[i + 1];
    if (next && next.one!.path === oldPath) {
      i++;
      const other = state.paths.get(next.two.path)!;
      if (next.two.path === newPath) {
        // Both sides renamed it the same way: merge the three versions at the new path.
        other.stages[0] = oldInfo.stages[0];
        other.filemask |= 1;
        markRemoved(oldInfo);
        continue;
      }
      clean = false;
      for (const p of [oldPath, newPath, next.two.path]) state.paths.get(p)!.pathConflict = true;
      conflict(state, oldPath, 'rename/rename');
      continue;
    }
    const target = pair.side;
    const otherSide = 3 - target;
    const sourceDeleted = oldInfo.filemask === 1;
    let collision = (newInfo!.filemask & (1 << otherSide)) !== 0;
    const typeChanged = !sourceDeleted && (fileType(oldInfo.stages[otherSide]!.mode) === 'file') !== (fileType(newInfo!.stages[target]!.mode) === 'file');
    if (typeChanged && collision) collision = false;
    if (collision && !sourceDeleted) {
      // rename/add or rename/rename(2to1): the renamed file's own three-way merge becomes this side's version.
      const sides = [undefined, target === 1 ? newInfo!.stages[1] : oldInfo.stages[1], target === 2 ? newInfo!.stages[2] : oldInfo.stages[2]];
      const m = mergeContent(state.reader, writer, oldInfo.stages[0], sides[1]!, sides[2]!);
      newInfo!.stages[target] = m.result;
      if (!m.clean) {
        newInfo!.pathConflict = true;
        conflict(state, newPath, 'rename/add');
      }
    } else if (collision && sourceDeleted) {
      newInfo!.pathConflict = true;
      conflict(state, newPath, 'rename/delete');
    } else {
      newInfo!.stages[0] = oldInfo.stages[0];
      newInfo!.filemask |= 1;
      if (typeChanged) {
        oldInfo.stages[0] = undefined;
        oldInfo.filemask &= 6;
      } else if (sourceDeleted) {
        newInfo!.pathConflict = true;
        conflict(state, newPath, 'rename/delete');
      } else {
        newInfo!.stages[otherSide] = oldInfo.stages[otherSide];
        newInfo!.filemask |= 1 << otherSide;
      }
    }
    if (!typeChanged) markRemoved(oldInfo);
  }
  return clean;
}

function markRemoved(info: PathInfo): void {
  info.isNull = true;
  info.clean = true;
  info.result = undefined;
}
