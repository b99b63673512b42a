// `git rev-list include ^exclude` with git's own walk (revision.c's limit_list): commits in the order `git log` prints
// them, which on merge histories, equal dates and skewed clocks is the order of git's date-sorted work list, not a
// topological one. Commits are marked uninteresting as git marks them — only through commits already parsed — and
// the walk stops where git stops (five uninteresting commits in a row once everything left is uninteresting), so
// the result is git's even where clock skew makes git's answer imperfect.
import { DateQueue } from './date-queue.js';
import { decodeCommit, type ObjectId, type ObjectReader } from './objects.js';
import { readTyped } from './object-errors.js';

const SEEN = 1;
const ADDED = 2;
const UNINTERESTING = 4;
const SLOP = 5;

interface Node {
  flags: number;
  parents?: ObjectId[];
  date: number;
}

class Walk {
  private readonly nodes = new Map<ObjectId, Node>();
  constructor(private readonly reader: ObjectReader) {}

  node(id: ObjectId): Node {
    let n = this.nodes.get(id);
    if (!n) this.nodes.set(id, (n = { flags: 0, date: 0 }));
    return n;
  }

  /** git's parse_commit: learns a commit's parents and date. */
  parse(id: ObjectId): Node {
    const n = this.node(id);
    if (n.parents) return n;
    const c = decodeCommit(readTyped(this.reader, id, 'commit').data);
    n.parents = c.parents;
    n.date = c.committer.timestamp;
    return n;
  }

  /** git's mark_parents_uninteresting: depth-first, but only through parents already parsed. */
  markParentsUninteresting(id: ObjectId): void {
    const pending: ObjectId[] = [];
    const markOne = (p: ObjectId) => {
      const n = this.node(p);
      if (n.flags & UNINTERESTING) return;
      n.flags |= UNINTERESTING;
      for (const q of n.parents ?? []) pending.push(q);
    };
    for (const p of this.node(id).parents ?? []) markOne(p);
    while (pending.length > 0) markOne(pending.pop()!);
  }
}

/** Commits reachable from `include` but not from `exclude`, newest first as `git log exclude..include` lists them. */
export function revListRange(reader: ObjectReader, include: ObjectId, exclude: ObjectId): ObjectId[] {
  const w = new Walk(reader);
  const list = new DateQueue();
  // prepare_revision_walk: the excluded tip first (as in "a..b"), both parsed, sorted by date (stable).
  const tips: [ObjectId, boolean][] = [[exclude, true], [include, false]];
  for (const [id, bottom] of tips) {
    const n = w.parse(id);
    if (bottom) {
      n.flags |= UNINTERESTING;
      w.markParentsUninteresting(id);
    }
  }
  const initial = tips.filter(([id], i) => i === 0 || id !== tips[0][0]).map(([id]) => id);
  for (const id of [...initial].sort((a, b) => w.node(b).date - w.node(a).date)) {
    w.node(id).flags |= SEEN;
    list.push(id, w.node(id).date);
  }
  const out: ObjectId[] = [];
  let slop = SLOP;
  let date = Number.POSITIVE_INFINITY;
  while (list.size > 0) {
    const id = list.pop();
    const n = w.node(id);
    processParents(w, list, id);
    if (n.flags & UNINTERESTING) {
      w.markParentsUninteresting(id);
      slop = stillInteresting(w, list, date, slop);
      if (slop > 0) continue;
      break;
    }
    date = n.date;
    out.push(id);
  }
  // Commits found uninteresting after they were listed are dropped when git shows the list.
  return out.filter((id) => !(w.node(id).flags & UNINTERESTING));
}

function processParents(w: Walk, list: DateQueue, id: ObjectId): void {
  const n = w.node(id);
  if (n.flags & ADDED) return;
  n.flags |= ADDED;
  if (n.flags & UNINTERESTING) {
    for (const p of n.parents ?? []) {
      const pn = w.node(p);
      pn.flags |= UNINTERESTING;
      w.parse(p);
      if (pn.parents && pn.parents.length > 0) w.markParentsUninteresting(p);
      if (pn.flags & SEEN) continue;
      pn.flags |= SEEN;
      list.push(p, pn.date);
    }
    return;
  }
  for (const p of n.parents ?? []) {
    const pn = w.parse(p);
    if (!(pn.flags & SEEN)) {
      pn.flags |= SEEN;
      list.push(p, pn.date);
    }
  }
}

/** git's still_interesting: keep walking while anything listed is interesting or older commits may still matter. */
function stillInteresting(w: Walk, list: DateQueue, date: number, slop: number): number {
  if (list.size === 0) return 0;
  if (date <= w.node(list.peek()).date) return SLOP;
  if (list.some((id) => !(w.node(id).flags & UNINTERESTING))) return SLOP;
  return slop - 1;
}
