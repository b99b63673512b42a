// Line-based three-way merge of file contents as git's xdl_merge does it (zealous level, no conflict output):
// the merged bytes, or undefined when the two sides' changes conflict.
import { diffRecords, splitLines, type LineChange } from './line-diff.js';

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
