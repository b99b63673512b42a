// History, newest first by committer date like `git log`, optionally limited to commits that touch a path, with git's
// default history simplification (a merge that leaves the path as one parent had it follows only that parent).
import { invalid } from '../errors.js';
import { Commit, ObjectId } from '../git/objects.js';
import { lookupPath } from '../git/tree-path.js';
import { Repository } from '../store/repository.js';
import { commitTree, readCommit } from './resolve.js';

export interface LogEntry {
  id: ObjectId;
  commit: Commit;
}

export interface LogPage {
  commits: LogEntry[];
  /** Opaque cursor for the next page; pinned to the start commit so pages stay consistent while the branch moves. */
  next?: string;
}

interface Cursor {
  start: ObjectId;
  skip: number;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (typeof c.start === 'string' && /^[0-9a-f]{40}$/.test(c.start) && Number.isInteger(c.skip) && c.skip >= 0) return c;
  } catch {
    // fall through to the error below
  }
  throw invalid('invalid_cursor', 'cursor is not one this server issued');
}

export function log(repo: Repository, start: ObjectId, opts: { path?: string; limit: number; skip?: number }): LogPage {
  const skip = opts.skip ?? 0;
  const out: LogEntry[] = [];
  let skipped = 0;
  for (const entry of walk(repo, start, opts.path)) {
    if (skipped < skip) {
      skipped++;
      continue;
    }
    if (out.length === opts.limit) return { commits: out, next: encodeCursor({ start, skip: skip + out.length }) };
    out.push(entry);
  }
  return { commits: out };
}

function pathId(repo: Repository, tree: ObjectId, path: string): string {
  const e = lookupPath(repo.objects, tree, path);
  return e ? `${e.mode}:${e.id}` : '';
}

function* walk(repo: Repository, start: ObjectId, path: string | undefined): Generator<LogEntry> {
  // A max-heap on committer time; ties keep insertion order, which matches git for linear histories.
  const heap: { id: ObjectId; commit: Commit; order: number }[] = [];
  const seen = new Set<ObjectId>();
  let order = 0;
  const push = (id: ObjectId) => {
    if (seen.has(id)) return;
    seen.add(id);
    heapPush(heap, { id, commit: readCommit(repo, id), order: order++ });
  };
  push(start);
  while (heap.length > 0) {
    const { id, commit } = heapPop(heap);
    if (path === undefined) {
      commit.parents.forEach(push);
      yield { id, commit };
      continue;
    }
    const mine = pathId(repo, commit.tree, path);
    const parentIds = commit.parents.map((p) => pathId(repo, commitTree(repo, p), path));
    const same = parentIds.findIndex((p) => p === mine);
    if (same >= 0) {
      push(commit.parents[same]); // TREESAME to a parent: follow only it, and the commit itself is not shown
      continue;
    }
    commit.parents.forEach(push);
    if (mine !== '' || commit.parents.length > 0) yield { id, commit };
  }
}

type HeapItem = { commit: Commit; order: number };
const before = (a: HeapItem, b: HeapItem) =>
  a.commit.committer.timestamp > b.commit.committer.timestamp ||
  (a.commit.committer.timestamp === b.commit.committer.timestamp && a.order < b.order);

function heapPush<T extends HeapItem>(h: T[], item: T): void {
  h.push(item);
  for (let i = h.length - 1; i > 0; ) {
    const p = (i - 1) >> 1;
    if (!before(h[i], h[p])) break;
    [h[i], h[p]] = [h[p], h[i]];
    i = p;
  }
}

function heapPop<T extends HeapItem>(h: T[]): T {
  const top = h[0];
  const last = h.pop()!;
  if (h.length > 0) {
    h[0] = last;
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && before(h[l], h[m])) m = l;
      if (r < h.length && before(h[r], h[m])) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
  return top;
}
