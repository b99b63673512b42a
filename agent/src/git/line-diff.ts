// Line diff computed the way git's xdiff does it, so hunks (and merges built on them) match git
// exactly: trim common ends, set aside lines that cannot match (xdl_cleanup_records), Myers'
// divide-and-conquer with xdiff's cost cut-offs (xdl_recs_cmp/xdl_split), then slide change groups
// to git's canonical places (xdl_change_compact, optionally with the indent heuristic).
// jsdiff's forward-only Myers picks different, equally short alignments in about 7% of random
// small inputs, which is why the search itself is reimplemented here.

/** chg1 old lines at i1 were replaced by chg2 new lines at i2 (xdiff's xdchange). */
export interface LineChange {
  i1: number;
  chg1: number;
  i2: number;
  chg2: number;
}

/** Git's line records: every line keeps its '\n', and a last line without one is a record of its own. */
export function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl < 0 ? text.length : nl + 1;
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

// ---------------------------------------------------------------- line diff

interface Side {
  ids: Int32Array;
  lines: readonly string[];
  /** changed[i + 1] is line i; the extra slots are the always-false sentinels xdiff keeps at -1 and n. */
  changed: Uint8Array;
  n: number;
}

const isChanged = (s: Side, i: number): boolean => s.changed[i + 1] === 1;
const setChanged = (s: Side, i: number, v: boolean): void => {
  s.changed[i + 1] = v ? 1 : 0;
};

/** Line diff of two record lists as git computes it; `git diff` uses the indent heuristic, merges do not. */
export function diffRecords(a: readonly string[], b: readonly string[], indentHeuristic = true): LineChange[] {
  const classes = new Map<string, number>();
  const classify = (lines: readonly string[]): Int32Array => {
    const ids = new Int32Array(lines.length);
    lines.forEach((l, i) => {
      let id = classes.get(l);
      if (id === undefined) classes.set(l, (id = classes.size));
      ids[i] = id;
    });
    return ids;
  };
  const A: Side = { ids: classify(a), lines: a, changed: new Uint8Array(a.length + 2), n: a.length };
  const B: Side = { ids: classify(b), lines: b, changed: new Uint8Array(b.length + 2), n: b.length };
  markChanges(A, B, classes.size);
  compact(A, B, indentHeuristic);
  compact(B, A, indentHeuristic);
  const out: LineChange[] = [];
  let i1 = 0;
  let i2 = 0;
  while (i1 < A.n || i2 < B.n) {
    if (!isChanged(A, i1) && !isChanged(B, i2)) {
      i1++;
      i2++;
      continue;
    }
    const s1 = i1;
    const s2 = i2;
    while (isChanged(A, i1)) i1++;
    while (isChanged(B, i2)) i2++;
    out.push({ i1: s1, chg1: i1 - s1, i2: s2, chg2: i2 - s2 });
  }
  return out;
}

function bogoSqrt(n: number): number {
  let i = 1;
  for (; n > 0; n >>= 2) i <<= 1;
  return i;
}

function markChanges(A: Side, B: Side, nclasses: number): void {
  const min = Math.min(A.n, B.n);
  let start = 0;
  while (start < min && A.ids[start] === B.ids[start]) start++;
  let tail = 0;
  while (tail < min - start && A.ids[A.n - 1 - tail] === B.ids[B.n - 1 - tail]) tail++;
  const countA = new Int32Array(nclasses);
  const countB = new Int32Array(nclasses);
  for (const id of A.ids) countA[id]++;
  for (const id of B.ids) countB[id]++;
  const keepA = keepable(A, countB, start, A.n - tail);
  const keepB = keepable(B, countA, start, B.n - tail);
  const h1 = Int32Array.from(keepA, (i) => A.ids[i]);
  const h2 = Int32Array.from(keepB, (i) => B.ids[i]);
  myers(h1, h2, (i) => setChanged(A, keepA[i], true), (i) => setChanged(B, keepB[i], true));
}

interface Split {
  i1: number;
  i2: number;
  minLo: boolean;
  minHi: boolean;
}

const SNAKE = 20; // a run of this many matches counts as a "good snake" for the cut-offs
const HEUR_MIN_COST = 256;
const FAR = Number.MAX_SAFE_INTEGER;

/** Myers' linear-space divide and conquer over two id sequences, marking what is not common. */
function myers(h1: Int32Array, h2: Int32Array, del: (i: number) => void, ins: (i: number) => void): void {
  const ndiags = h1.length + h2.length + 3;
  const kf = new Float64Array(2 * ndiags + 2);
  const kb = new Float64Array(2 * ndiags + 2);
  const base = h2.length + 1; // diagonal d lives at index base + d
  const maxCost = Math.max(256, bogoSqrt(ndiags));
  // An explicit stack instead of recursion: boxes are independent, so their order does not matter.
  const stack: [number, number, number, number, boolean][] = [[0, h1.length, 0, h2.length, false]];
  while (stack.length > 0) {
    const box = stack.pop()!;
    let [off1, lim1, off2, lim2] = box;
    const needMin = box[4];
    while (off1 < lim1 && off2 < lim2 && h1[off1] === h2[off2]) off1++, off2++;
    while (off1 < lim1 && off2 < lim2 && h1[lim1 - 1] === h2[lim2 - 1]) lim1--, lim2--;
    if (off1 === lim1) for (; off2 < lim2; off2++) ins(off2);
    else if (off2 === lim2) for (; off1 < lim1; off1++) del(off1);
    else {
      const sp = split(h1, off1, lim1, h2, off2, lim2, kf, kb, base, needMin, maxCost);
      stack.push([sp.i1, lim1, sp.i2, lim2, sp.minHi], [off1, sp.i1, off2, sp.i2, sp.minLo]);
    }
  }
}

/** Finds where an optimal (or, past the cost cut-offs, a good enough) path crosses the box's middle. */
function split(
  h1: Int32Array, off1: number, lim1: number, h2: Int32Array, off2: number, lim2: number,
  kf: Float64Array, kb: Float64Array, base: number, needMin: boolean, maxCost: number,
): Split {
  const dmin = off1 - lim2;
  const dmax = lim1 - off2;
  const fmid = off1 - off2;
  const bmid = lim1 - lim2;
  const odd = ((fmid - bmid) & 1) !== 0;
  let fmin = fmid, fmax = fmid, bmin = bmid, bmax = bmid;
  kf[base + fmid] = off1;
  kb[base + bmid] = lim1;
  for (let ec = 1; ; ec++) {
    let gotSnake = false;
    if (fmin > dmin) kf[base + --fmin - 1] = -1;
    else ++fmin;
    if (fmax < dmax) kf[base + ++fmax + 1] = -1;
    else --fmax;
    for (let d = fmax; d >= fmin; d -= 2) {
      let i1 = kf[base + d - 1] >= kf[base + d + 1] ? kf[base + d - 1] + 1 : kf[base + d + 1];
      const prev = i1;
      let i2 = i1 - d;
      while (i1 < lim1 && i2 < lim2 && h1[i1] === h2[i2]) i1++, i2++;
      if (i1 - prev > SNAKE) gotSnake = true;
      kf[base + d] = i1;
      if (odd && bmin <= d && d <= bmax && kb[base + d] <= i1) return { i1, i2, minLo: true, minHi: true };
    }
    if (bmin > dmin) kb[base + --bmin - 1] = FAR;
    else ++bmin;
    if (bmax < dmax) kb[base + ++bmax + 1] = FAR;
    else --bmax;
    for (let d = bmax; d >= bmin; d -= 2) {
      let i1 = kb[base + d - 1] < kb[base + d + 1] ? kb[base + d - 1] : kb[base + d + 1] - 1;
      const prev = i1;
      let i2 = i1 - d;
      while (i1 > off1 && i2 > off2 && h1[i1 - 1] === h2[i2 - 1]) i1--, i2--;
      if (prev - i1 > SNAKE) gotSnake = true;
      kb[base + d] = i1;
      if (!odd && fmin <= d && d <= fmax && i1 <= kf[base + d]) return { i1, i2, minLo: true, minHi: true };
    }
    if (needMin) continue;
    // Past a moderate cost, settle for a diagonal that has made good progress along a long snake.
    if (gotSnake && ec > HEUR_MIN_COST) {
      let best = 0;
      let at: Split | undefined;
      for (let d = fmax; d >= fmin; d -= 2) {
        const i1 = kf[base + d];
        const i2 = i1 - d;
        const v = i1 - off1 + (i2 - off2) - Math.abs(d - fmid);
        if (v > 4 * ec && v > best && off1 + SNAKE <= i1 && i1 < lim1 && off2 + SNAKE <= i2 && i2 < lim2) {
          for (let k = 1; h1[i1 - k] === h2[i2 - k]; k++) {
            if (k === SNAKE) {
              best = v;
              at = { i1, i2, minLo: true, minHi: false };
              break;
            }
          }
        }
      }
      if (at) return at;
      best = 0;
      for (let d = bmax; d >= bmin; d -= 2) {
        const i1 = kb[base + d];
        const i2 = i1 - d;
        const v = lim1 - i1 + (lim2 - i2) - Math.abs(d - bmid);
        if (v > 4 * ec && v > best && off1 < i1 && i1 <= lim1 - SNAKE && off2 < i2 && i2 <= lim2 - SNAKE) {
          for (let k = 0; h1[i1 + k] === h2[i2 + k]; k++) {
            if (k === SNAKE - 1) {
              best = v;
              at = { i1, i2, minLo: false, minHi: true };
              break;
            }
          }
        }
      }
      if (at) return at;
    }
    // Too expensive: take whichever end has reached furthest.
    if (ec >= maxCost) {
      let fbest = -1, fbest1 = -1;
      for (let d = fmax; d >= fmin; d -= 2) {
        let i1 = Math.min(kf[base + d], lim1);
        let i2 = i1 - d;
        if (lim2 < i2) (i1 = lim2 + d), (i2 = lim2);
        if (fbest < i1 + i2) (fbest = i1 + i2), (fbest1 = i1);
      }
      let bbest = FAR, bbest1 = FAR;
      for (let d = bmax; d >= bmin; d -= 2) {
        let i1 = Math.max(off1, kb[base + d]);
        let i2 = i1 - d;
        if (i2 < off2) (i1 = off2 + d), (i2 = off2);
        if (i1 + i2 < bbest) (bbest = i1 + i2), (bbest1 = i1);
      }
      if (lim1 + lim2 - bbest < fbest - (off1 + off2)) return { i1: fbest1, i2: fbest - fbest1, minLo: true, minHi: false };
      return { i1: bbest1, i2: bbest - bbest1, minLo: false, minHi: true };
    }
  }
}

/** Lines of [start, end) worth matching; the others are marked changed up front, as xdiff does. */
function keepable(s: Side, otherCount: Int32Array, start: number, end: number): number[] {
  const limit = Math.min(bogoSqrt(s.n), 1024);
  // 0: no match on the other side, 1: a few matches, 2: many matches.
  const dis = new Uint8Array(s.n);
  for (let i = start; i < end; i++) {
    const nm = Math.min(otherCount[s.ids[i]], limit);
    dis[i] = nm === 0 ? 0 : nm >= limit ? 2 : 1;
  }
  const keep: number[] = [];
  for (let i = start; i < end; i++) {
    if (dis[i] === 1 || (dis[i] === 2 && !inDiscardRun(dis, i, start, end - 1))) keep.push(i);
    else setChanged(s, i, true);
  }
  return keep;
}

/** A many-match line sitting in a run dominated by unmatched lines is discarded too (xdl_clean_mmatch). */
function inDiscardRun(dis: Uint8Array, i: number, s: number, e: number): boolean {
  s = Math.max(s, i - 100);
  e = Math.min(e, i + 100);
  // Each side's count of many-match lines starts at 1, as xdiff's rpdis0 and rpdis1 do: the line itself counts twice.
  let before = 0;
  let multi = 2;
  for (let r = 1; i - r >= s; r++) {
    if (dis[i - r] === 0) before++;
    else if (dis[i - r] === 2) multi++;
    else break;
  }
  if (before === 0) return false;
  let after = 0;
  for (let r = 1; i + r <= e; r++) {
    if (dis[i + r] === 0) after++;
    else if (dis[i + r] === 2) multi++;
    else break;
  }
  if (after === 0) return false;
  return multi * 4 < multi + before + after;
}

// Change groups: [start, end) of changed lines, or an empty group sitting before line `start`.
interface Group {
  start: number;
  end: number;
}

function firstGroup(s: Side): Group {
  const g = { start: 0, end: 0 };
  while (isChanged(s, g.end)) g.end++;
  return g;
}

function nextGroup(s: Side, g: Group): boolean {
  if (g.end === s.n) return false;
  g.start = g.end + 1;
  for (g.end = g.start; isChanged(s, g.end); g.end++);
  return true;
}

function prevGroup(s: Side, g: Group): boolean {
  if (g.start === 0) return false;
  g.end = g.start - 1;
  for (g.start = g.end; isChanged(s, g.start - 1); g.start--);
  return true;
}

function slideDown(s: Side, g: Group): boolean {
  if (g.end >= s.n || s.ids[g.start] !== s.ids[g.end]) return false;
  setChanged(s, g.start++, false);
  setChanged(s, g.end++, true);
  while (isChanged(s, g.end)) g.end++;
  return true;
}

function slideUp(s: Side, g: Group): boolean {
  if (g.start <= 0 || s.ids[g.start - 1] !== s.ids[g.end - 1]) return false;
  setChanged(s, --g.start, true);
  setChanged(s, --g.end, false);
  while (isChanged(s, g.start - 1)) g.start--;
  return true;
}

function must(ok: boolean): void {
  if (!ok) throw new Error('diff change groups out of sync');
}

/** Slides each change group of `s` to where git puts it, keeping `o`'s groups in step (xdl_change_compact). */
function compact(s: Side, o: Side, indentHeuristic: boolean): void {
  const g = firstGroup(s);
  const go = firstGroup(o);
  for (;;) {
    if (g.end !== g.start) {
      let size: number;
      let earliestEnd: number;
      let matchOther: number;
      do {
        size = g.end - g.start;
        matchOther = -1;
        while (slideUp(s, g)) must(prevGroup(o, go));
        earliestEnd = g.end;
        if (go.end > go.start) matchOther = g.end;
        while (slideDown(s, g)) {
          must(nextGroup(o, go));
          if (go.end > go.start) matchOther = g.end;
        }
      } while (size !== g.end - g.start);
      if (g.end === earliestEnd) {
        // Nowhere to slide.
      } else if (matchOther !== -1) {
        // Line up with a change on the other side, making one hunk instead of two.
        while (go.end === go.start) {
          must(slideUp(s, g));
          must(prevGroup(o, go));
        }
      } else if (indentHeuristic) {
        let shift = Math.max(earliestEnd, g.end - size - 1, g.end - 100);
        let best = -1;
        let bestScore = { indent: 0, penalty: 0 };
        for (; shift <= g.end; shift++) {
          const score = { indent: 0, penalty: 0 };
          scoreSplit(s, shift, score);
          scoreSplit(s, shift - size, score);
          if (best === -1 || compareScores(score, bestScore) <= 0) {
            bestScore = score;
            best = shift;
          }
        }
        while (g.end > best) {
          must(slideUp(s, g));
          must(prevGroup(o, go));
        }
      }
    }
    if (!nextGroup(s, g)) break;
    must(nextGroup(o, go));
  }
}

/** Columns of leading whitespace (tab = to next multiple of 8), -1 for a blank line, capped at 200. */
function indentOf(line: string): number {
  let ret = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r') return ret;
    if (c === ' ') ret += 1;
    else if (c === '\t') ret += 8 - (ret % 8);
    if (ret >= 200) return 200;
  }
  return -1;
}

// The weights of git's indent heuristic (xdiffi.c), tuned by its authors on a corpus of real diffs.
function scoreSplit(s: Side, split: number, score: { indent: number; penalty: number }): void {
  const eof = split >= s.n;
  const indent = eof ? -1 : indentOf(s.lines[split]);
  let preBlank = 0;
  let preIndent = -1;
  for (let i = split - 1; i >= 0; i--) {
    preIndent = indentOf(s.lines[i]);
    if (preIndent !== -1) break;
    if (++preBlank === 20) {
      preIndent = 0;
      break;
    }
  }
  let postBlank = 0;
  let postIndent = -1;
  for (let i = split + 1; i < s.n; i++) {
    postIndent = indentOf(s.lines[i]);
    if (postIndent !== -1) break;
    if (++postBlank === 20) {
      postIndent = 0;
      break;
    }
  }
  if (preIndent === -1 && preBlank === 0) score.penalty += 1;
  if (eof) score.penalty += 21;
  const blankAfter = indent === -1 ? 1 + postBlank : 0;
  const anyBlanks = preBlank + blankAfter !== 0;
  score.penalty += -30 * (preBlank + blankAfter) + 6 * blankAfter;
  const eff = indent !== -1 ? indent : postIndent;
  score.indent += eff;
  if (eff === -1 || preIndent === -1) return;
  if (eff > preIndent) score.penalty += anyBlanks ? 10 : -4;
  else if (eff < preIndent) {
    if (postIndent !== -1 && postIndent > eff) score.penalty += anyBlanks ? 17 : 24;
    else score.penalty += anyBlanks ? 17 : 23;
  }
}

function compareScores(a: { indent: number; penalty: number }, b: { indent: number; penalty: number }): number {
  return 60 * Math.sign(a.indent - b.indent) + (a.penalty - b.penalty);
}

