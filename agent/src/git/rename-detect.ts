// Rename detection between one side of a merge and the merge base, as git's diffcore-rename does it for the ort merge:
// exact renames first, then files with the same basename, then the similarity matrix — each on git's similarity
// estimate (diffcore-delta's span hashes) with git's tie-breaking — while counting which directories moved where.
import { type FileMode, type ObjectId, type ObjectReader } from './objects.js';
import { readTyped } from './object-errors.js';
import { strmapOrder } from './strmap-order.js';

export const MAX_SCORE = 60000;
/** 50 %: git's default rename threshold (-M50%, merge.renames). */
export const DEFAULT_RENAME_SCORE = 30000;
/** Inexact detection is skipped when sources × destinations exceed this squared (merge.renameLimit's default). */
export const MERGE_RENAME_LIMIT = 7000;
export const EMPTY_BLOB_ID = 'e69de29bb2d1d6434b8b29ae775ad8c2e48c5391';

// Why a deleted path takes part in rename detection (git's file_rename_relevance).
export const RELEVANT_NO_MORE = 0;
export const RELEVANT_CONTENT = 1;
export const RELEVANT_LOCATION = 2;
// Why a removed directory matters (git's dir_rename_relevance).
export const NOT_RELEVANT = 0;
export const RELEVANT_FOR_ANCESTOR = 1;
export const RELEVANT_FOR_SELF = 2;
/** Stands for "some directory not known yet" in directory rename counts (git's UNKNOWN_DIR). */
export const UNKNOWN_DIR = '/';

export interface FileSpec {
  path: string;
  mode: FileMode;
  id: ObjectId;
}

/** One side's change to a path: an addition (`two`) or a deletion (`one`), in tree-walk order. */
export type SidePair =
  | { status: 'A'; two: FileSpec }
  | { status: 'D'; one: FileSpec }
  /** score: similarity, 0..MAX_SCORE (MAX_SCORE for an exact rename). */
  | { status: 'R'; one: FileSpec; two: FileSpec; score: number };

export interface RenameContext {
  reader: ObjectReader;
  /**
   * Merges: deleted paths whose rename matters, with the reason; others only take part in exact detection, and
   * directory moves are counted. Plain diffs (`git diff`) leave these three out: every deletion is a candidate.
   */
  relevantSources?: Map<string, number>;
  /** Directories removed on this side, with their relevance for directory rename detection. */
  dirsRemoved?: Map<string, number>;
  /** old directory → (new directory → number of files that moved there); filled in. */
  dirRenameCount?: Map<string, Map<string, number>>;
  /** Empty files take part (git diff's default; merges leave them out). */
  renameEmpty?: boolean;
  /** Inexact detection is skipped past this many sources × destinations, squared (default: merges' 7000). */
  renameLimit?: number;
}

const isRegular = (mode: FileMode) => mode === '100644' || mode === '100755';
const dirname = (path: string) => {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
};
const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

// ---------------------------------------------------------------- similarity

/** diffcore-delta's fingerprint: bytes cut at each LF or after 64 bytes, hashed into 107927 buckets, byte counts summed. */
export function spanHashes(data: Buffer): Map<number, number> {
  const text = !data.subarray(0, 8000).includes(0);
  const out = new Map<number, number>();
  let n = 0;
  let a1 = 0;
  let a2 = 0;
  for (let i = 0; i < data.length; i++) {
    const c = data[i];
    if (text && c === 0x0d && i + 1 < data.length && data[i + 1] === 0x0a) continue; // CR of CRLF in text
    const old1 = a1;
    a1 = ((a1 << 7) ^ (a2 >>> 25)) >>> 0;
    a2 = ((a2 << 7) ^ (old1 >>> 25)) >>> 0;
    a1 = (a1 + c) >>> 0;
    if (++n < 64 && c !== 0x0a) continue;
    const h = ((a1 + Math.imul(a2, 0x61)) >>> 0) % 107927;
    out.set(h, (out.get(h) ?? 0) + n);
    n = 0;
    a1 = 0;
    a2 = 0;
  }
  return out;
}

class Similarity {
  private readonly hashes = new Map<ObjectId, Map<number, number>>();
  constructor(private readonly reader: ObjectReader) {}

  private blob(id: ObjectId): Buffer {
    return readTyped(this.reader, id, 'blob').data;
  }

  private spans(id: ObjectId): Map<number, number> {
    let h = this.hashes.get(id);
    if (!h) this.hashes.set(id, (h = spanHashes(this.blob(id))));
    return h;
  }

  /** git's estimate_similarity: how much of the larger file's material the source provides, 0..MAX_SCORE. */
  estimate(src: FileSpec, dst: FileSpec, minScore: number): number {
    if (!isRegular(src.mode) || !isRegular(dst.mode)) return 0;
    const srcSize = this.blob(src.id).length;
    const dstSize = this.blob(dst.id).length;
    const max = Math.max(srcSize, dstSize);
    const delta = max - Math.min(srcSize, dstSize);
    if (max * (MAX_SCORE - minScore) < delta * MAX_SCORE) return 0;
    if (dstSize === 0) return 0;
    const s = this.spans(src.id);
    const d = this.spans(dst.id);
    let copied = 0;
    for (const [h, count] of s) {
      const other = d.get(h);
      if (other !== undefined) copied += Math.min(count, other);
    }
    return Math.floor((copied * MAX_SCORE) / max);
  }
}

// ---------------------------------------------------------------- directory rename counts

function incrementCount(counts: Map<string, Map<string, number>>, oldDir: string, newDir: string): void {
  let m = counts.get(oldDir);
  if (!m) counts.set(oldDir, (m = new Map()));
  m.set(newDir, (m.get(newDir) ?? 0) + 1);
}

/** git's update_dir_rename_counts: a file move votes for its directory's move, and for ancestors that moved in step. */
function updateDirRenameCounts(ctx: RenameContext, oldName: string, newName: string): void {
  if (!ctx.dirsRemoved || !ctx.dirRenameCount) return; // a plain diff: no directory renames
  let oldDir = oldName;
  let newDir = newName;
  for (let first = true; ; first = false) {
    const oldRemoved = basename(oldDir);
    const newRemoved = basename(newDir);
    oldDir = dirname(oldDir);
    if (!ctx.dirsRemoved.has(oldDir)) break;
    newDir = dirname(newDir);
    // Past the file itself, only directories whose last component stayed the same moved together.
    if (!first && oldRemoved !== newRemoved) break;
    const flag = ctx.dirsRemoved.get(oldDir) ?? NOT_RELEVANT;
    if (flag === RELEVANT_FOR_SELF || first) incrementCount(ctx.dirRenameCount, oldDir, newDir);
    if (flag === NOT_RELEVANT) break;
    if (oldDir === '' || newDir === '') break;
  }
}

function alreadyDeterminable(counts: Map<string, number>): boolean {
  let first = 0;
  let second = 0;
  let unknown = 0;
  for (const [dir, count] of counts) {
    if (dir === UNKNOWN_DIR) unknown = count;
    else if (count >= first) (second = first), (first = count);
    else if (count >= second) second = count;
  }
  return first > second + unknown;
}

// ---------------------------------------------------------------- diffcore_rename

interface Src {
  spec: FileSpec;
  used: boolean;
}

interface Dst {
  spec: FileSpec;
  renamedFrom?: Src;
  score: number;
}

interface Score {
  src: number;
  dst: number;
  score: number;
  nameScore: number;
}

const NO_SCORE: Score = { src: -1, dst: -1, score: 0, nameScore: 0 };

/** git's score_compare: higher scores first, then same basename first; unused slots sink. */
function scoreCompare(a: Score, b: Score): number {
  if (a.dst < 0) return b.dst >= 0 ? 1 : 0;
  if (b.dst < 0) return -1;
  if (a.score === b.score) return b.nameScore - a.nameScore;
  return b.score - a.score;
}

function recordIfBetter(m: Score[], o: Score): void {
  let worst = 0;
  for (let i = 1; i < m.length; i++) if (scoreCompare(m[i], m[worst]) > 0) worst = i;
  if (scoreCompare(m[worst], o) > 0) m[worst] = o;
}

/**
 * Pairs deletions with additions of one side (git's diffcore_rename_extended with relevant sources and removed
 * directories, as merge-ort calls it). Returns the side's changes in their original order, renames as 'R'.
 */
export function detectRenames(ctx: RenameContext, pairs: readonly SidePair[]): SidePair[] {
  const sim = new Similarity(ctx.reader);
  const dsts: Dst[] = [];
  const srcs: Src[] = [];
  const dstOf = new Map<number, Dst>();
  const srcOf = new Map<number, Src>();
  const empty = (id: ObjectId) => id === EMPTY_BLOB_ID && !ctx.renameEmpty;
  pairs.forEach((p, i) => {
    if (p.status === 'A' && !empty(p.two.id)) {
      const d: Dst = { spec: p.two, score: 0 };
      dsts.push(d);
      dstOf.set(i, d);
    } else if (p.status === 'D' && !empty(p.one.id)) {
      const s: Src = { spec: p.one, used: false };
      srcs.push(s);
      srcOf.set(i, s);
    }
  });
  if (dsts.length > 0 && srcs.length > 0) findRenames(ctx, sim, srcs, dsts);
  const out: SidePair[] = [];
  pairs.forEach((p, i) => {
    const d = dstOf.get(i);
    if (d?.renamedFrom) out.push({ status: 'R', one: d.renamedFrom.spec, two: d.spec, score: d.score });
    else if (!srcOf.get(i)?.used) out.push(p);
  });
  // Directories whose every file's destination is unknown say nothing (git's cleanup_dir_rename_info).
  for (const [dir, counts] of ctx.dirRenameCount ?? []) {
    if ((ctx.dirsRemoved?.get(dir) ?? NOT_RELEVANT) === NOT_RELEVANT) ctx.dirRenameCount!.delete(dir);
    else counts.delete(UNKNOWN_DIR);
  }
  return out;
}

function findRenames(ctx: RenameContext, sim: Similarity, allSrcs: Src[], dsts: Dst[]): void {
  const record = (d: Dst, s: Src, score: number) => {
    s.used = true;
    d.renamedFrom = s;
    d.score = score;
  };
  // Exact renames: the first unused source with the same id (and mode, unless both are regular files), same basename preferred.
  const byId = new Map<ObjectId, Src[]>();
  for (const s of allSrcs) {
    const list = byId.get(s.spec.id);
    if (list) list.push(s);
    else byId.set(s.spec.id, [s]);
  }
  for (const d of dsts) {
    let best: Src | undefined;
    let bestScore = -1;
    let tries = 100;
    for (const s of byId.get(d.spec.id) ?? []) {
      if ((!isRegular(s.spec.mode) || !isRegular(d.spec.mode)) && s.spec.mode !== d.spec.mode) continue;
      if (s.used) continue;
      const score = 1 + (basename(s.spec.path) === basename(d.spec.path) ? 1 : 0);
      if (score > bestScore) {
        best = s;
        bestScore = score;
        if (score === 2) break;
      }
      if (--tries === 0) break;
    }
    if (best) record(d, best, MAX_SCORE);
  }
  const minScore = DEFAULT_RENAME_SCORE;
  let srcs = allSrcs.filter((s) => !s.used);

  // Directory rename guesses from the exact renames, then same-basename pairs (git's find_basename_matches).
  const idxMap = new Map<string, Dst>();
  for (const d of dsts) {
    if (d.renamedFrom) updateDirRenameCounts(ctx, d.renamedFrom.spec.path, d.spec.path);
    else idxMap.set(d.spec.path, d);
  }
  const guess = new Map<string, string>();
  for (const [dir, counts] of ctx.dirRenameCount ?? []) {
    let best = 0;
    let bestDir: string | undefined;
    for (const to of strmapOrder(counts.keys())) {
      const n = counts.get(to)!;
      if (n > best) (best = n), (bestDir = to);
    }
    if (bestDir !== undefined) guess.set(dir, bestDir);
  }
  const minBasenameScore = minScore + Math.floor(0.5 * (MAX_SCORE - minScore));
  const srcByBase = new Map<string, number>();
  srcs.forEach((s, i) => {
    const b = basename(s.spec.path);
    srcByBase.set(b, srcByBase.has(b) ? -1 : i);
  });
  const dstByBase = new Map<string, Dst | null>();
  for (const d of dsts) {
    if (d.renamedFrom) continue;
    const b = basename(d.spec.path);
    dstByBase.set(b, dstByBase.has(b) ? null : d);
  }
  for (const s of srcs) {
    if (ctx.relevantSources && !ctx.relevantSources.has(s.spec.path)) continue;
    const b = basename(s.spec.path);
    if (!dstByBase.has(b)) continue;
    let d = dstByBase.get(b) ?? undefined;
    if (srcByBase.get(b) === -1 || d === undefined) {
      // Not unique on both sides: try where this directory's other files went.
      const newDir = guess.get(dirname(s.spec.path));
      d = newDir === undefined ? undefined : idxMap.get(`${newDir}/${b}`);
    }
    if (!d || d.renamedFrom) continue;
    const score = sim.estimate(s.spec, d.spec, minBasenameScore);
    if (score < minBasenameScore) continue;
    record(d, s, score);
    updateDirRenameCounts(ctx, s.spec.path, d.spec.path);
  }

  srcs = srcs.filter((s) => !s.used && (!ctx.relevantSources || ctx.relevantSources.has(s.spec.path)));
  srcs = dropKnownDirRenames(ctx, srcs);

  const open = dsts.filter((d) => !d.renamedFrom);
  if (open.length === 0 || srcs.length === 0) return;
  const limit = ctx.renameLimit ?? MERGE_RENAME_LIMIT;
  if (limit > 0 && open.length * srcs.length > limit * limit) return;
  const matrix: Score[] = [];
  dsts.forEach((d, di) => {
    if (d.renamedFrom) return;
    const m: Score[] = [NO_SCORE, NO_SCORE, NO_SCORE, NO_SCORE];
    srcs.forEach((s, si) => {
      recordIfBetter(m, {
        src: si, dst: di, score: sim.estimate(s.spec, d.spec, minScore), nameScore: basename(s.spec.path) === basename(d.spec.path) ? 1 : 0,
      });
    });
    matrix.push(...m);
  });
  // Array.prototype.sort is stable, as git's STABLE_QSORT.
  matrix.sort(scoreCompare);
  for (const m of matrix) {
    if (m.dst < 0 || m.score < minScore) break;
    const d = dsts[m.dst];
    const s = srcs[m.src];
    if (d.renamedFrom || s.used) continue;
    record(d, s, m.score);
    updateDirRenameCounts(ctx, s.spec.path, d.spec.path);
  }
}

/**
 * git's handle_early_known_dir_renames: sources wanted only to locate a directory's new home are dropped once the
 * renames found so far already give that directory a majority.
 */
function dropKnownDirRenames(ctx: RenameContext, srcs: Src[]): Src[] {
  if (!ctx.dirsRemoved || !ctx.relevantSources || !ctx.dirRenameCount) return srcs;
  const { dirsRemoved, relevantSources, dirRenameCount } = ctx;
  for (const s of srcs) {
    for (let dir = dirname(s.spec.path); dir !== '' && (dirsRemoved.get(dir) ?? NOT_RELEVANT) !== NOT_RELEVANT; dir = dirname(dir)) {
      incrementCount(dirRenameCount, dir, UNKNOWN_DIR);
    }
  }
  for (const [dir, counts] of dirRenameCount) {
    if (dirsRemoved.get(dir) === RELEVANT_FOR_SELF && alreadyDeterminable(counts)) dirsRemoved.set(dir, RELEVANT_FOR_ANCESTOR);
  }
  return srcs.filter((s) => {
    if (relevantSources.get(s.spec.path) !== RELEVANT_LOCATION) return true;
    for (let dir = dirname(s.spec.path); ; dir = dirname(dir)) {
      const res = dirsRemoved.get(dir) ?? NOT_RELEVANT;
      if (res === NOT_RELEVANT) break;
      if (res === RELEVANT_FOR_SELF) return true;
      if (dir === '') break;
    }
    relevantSources.set(s.spec.path, RELEVANT_NO_MORE);
    return false;
  });
}
