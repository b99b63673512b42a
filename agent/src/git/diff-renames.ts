// Rename detection for diffs as `git diff` does it by default (diff.renames=true since git 2.9): deletions paired with
// additions by diffcore-rename (exact, same basename, then similarity >= 50 %), empty files included, inexact detection
// skipped past diff.renameLimit's default of 1000 × 1000. The changes keep git's order: each rename where its new path is.
import { MAX_SCORE, detectRenames, type SidePair } from './rename-detect.js';
import { type ObjectReader } from './objects.js';
import { type FileChange } from './tree-diff.js';

export const DIFF_RENAME_LIMIT = 1000;

/** `changes` as diffTrees gives them, with additions that continue a deletion turned into renames. */
export function detectDiffRenames(reader: ObjectReader, changes: readonly FileChange[]): FileChange[] {
  const pairs: SidePair[] = [];
  for (const c of changes) {
    if (c.status === 'added') pairs.push({ status: 'A', two: { path: c.path, mode: c.newMode!, id: c.newId! } });
    else if (c.status === 'deleted') pairs.push({ status: 'D', one: { path: c.path, mode: c.oldMode!, id: c.oldId! } });
  }
  if (!pairs.some((p) => p.status === 'A') || !pairs.some((p) => p.status === 'D')) return [...changes];
  const renamed = new Map<string, Extract<SidePair, { status: 'R' }>>();
  const sources = new Set<string>();
  for (const p of detectRenames({ reader, renameEmpty: true, renameLimit: DIFF_RENAME_LIMIT }, pairs)) {
    if (p.status !== 'R') continue;
    renamed.set(p.two.path, p);
    sources.add(p.one.path);
  }
  const out: FileChange[] = [];
  for (const c of changes) {
    if (c.status === 'deleted' && sources.has(c.path)) continue;
    const r = c.status === 'added' ? renamed.get(c.path) : undefined;
    if (!r) {
      out.push(c);
      continue;
    }
    out.push({
      path: r.two.path, status: 'renamed', oldPath: r.one.path, similarity: Math.floor((r.score * 100) / MAX_SCORE),
      oldMode: r.one.mode, newMode: r.two.mode, oldId: r.one.id, newId: r.two.id,
    });
  }
  return out;
}
