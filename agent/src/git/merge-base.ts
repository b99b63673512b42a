// Ancestry questions over the commit graph: `git merge-base --is-ancestor` and `git merge-base --all`.
import { GitFormatError, decodeCommit, decodeTag, type ObjectId, type ObjectReader } from './objects.js';
import { MissingObjectError, readTyped } from './object-errors.js';
import { DateQueue } from './date-queue.js';

interface CommitInfo {
  parents: ObjectId[];
  /** Committer time, which orders git's walk (newest first). */
  date: number;
}

/** Parses commits once per query; ancestry walks revisit the same commits many times. */
class Graph {
  private readonly cache = new Map<ObjectId, CommitInfo>();
  constructor(private readonly reader: ObjectReader) {}

  get(id: ObjectId): CommitInfo {
    let info = this.cache.get(id);
    if (!info) {
      const c = decodeCommit(readTyped(this.reader, id, 'commit').data);
      info = { parents: c.parents, date: c.committer.timestamp };
      this.cache.set(id, info);
    }
    return info;
  }

  /** Follows annotated tags to the commit they name, like git's commit-ish arguments. */
  peel(id: ObjectId): ObjectId {
    for (let depth = 0; depth < 100; depth++) {
      const obj = this.reader.readObject(id);
      if (!obj) throw new MissingObjectError(id, 'object');
      if (obj.type !== 'tag') return id;
      id = decodeTag(obj.data).object;
    }
    throw new GitFormatError(`tag chain too deep at ${id}`);
  }
}

/** True when `ancestor` is `descendant` or reachable from it through parents. */
export function isAncestor(reader: ObjectReader, ancestor: ObjectId, descendant: ObjectId): boolean {
  const g = new Graph(reader);
  const target = g.peel(ancestor);
  g.get(target); // a missing or non-commit `ancestor` is an error, not "no"
  const start = g.peel(descendant);
  const seen = new Set<ObjectId>([start]);
  const todo = [start];
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (id === target) return true;
    for (const p of g.get(id).parents) {
      if (!seen.has(p)) {
        seen.add(p);
        todo.push(p);
      }
    }
  }
  return false;
}

const P1 = 1;
const P2 = 2;
const STALE = 4;
const RESULT = 8;

/**
 * Best common ancestors of two commits, like `git merge-base --all`: common ancestors that are
 * not ancestors of another common ancestor, newest first. Empty when the histories are unrelated.
 */
export function mergeBases(reader: ObjectReader, a: ObjectId, b: ObjectId): ObjectId[] {
  const g = new Graph(reader);
  a = g.peel(a);
  b = g.peel(b);
  if (a === b) {
    g.get(a);
    return [a];
  }
  // git's paint_down_to_common: colour everything reachable from a and from b, newest first;
  // a commit carrying both colours is a candidate and makes its own ancestors stale.
  const flags = new Map<ObjectId, number>([[a, P1], [b, P2]]);
  const queue = new DateQueue();
  queue.push(a, g.get(a).date);
  queue.push(b, g.get(b).date);
  const found: ObjectId[] = [];
  const hasNonStale = () => queue.some((id) => ((flags.get(id) ?? 0) & STALE) === 0);
  while (queue.size > 0 && hasNonStale()) {
    const id = queue.pop();
    const own = flags.get(id) ?? 0;
    let paint = own & (P1 | P2 | STALE);
    if (paint === (P1 | P2)) {
      if (!(own & RESULT)) {
        flags.set(id, own | RESULT);
        found.push(id);
      }
      paint |= STALE;
    }
    for (const p of g.get(id).parents) {
      const pf = flags.get(p) ?? 0;
      if ((pf & paint) === paint) continue;
      flags.set(p, pf | paint);
      queue.push(p, g.get(p).date);
    }
  }
  // A candidate later painted stale was reached from a newer candidate (clock skew): not a best one.
  const best = found.filter((id) => ((flags.get(id) ?? 0) & STALE) === 0);
  return removeRedundant(g, best).sort((x, y) => g.get(y).date - g.get(x).date);
}

/** Drops candidates reachable from another candidate (one walk from all their parents). */
function removeRedundant(g: Graph, candidates: ObjectId[]): ObjectId[] {
  if (candidates.length < 2) return candidates;
  const wanted = new Set(candidates);
  const seen = new Set<ObjectId>();
  const todo: ObjectId[] = [];
  for (const c of candidates) todo.push(...g.get(c).parents);
  while (todo.length > 0) {
    const id = todo.pop()!;
    if (seen.has(id)) continue;
    seen.add(id);
    todo.push(...g.get(id).parents);
  }
  return candidates.filter((c) => !(wanted.has(c) && seen.has(c)));
}
