// History, newest first by committer date like `git log`, optionally limited to commits that touch a path, with git's
// default history simplification (a merge that leaves the path as one parent had it follows only that parent).
import { invalid } from '../errors.js';
import { Commit, ObjectId } from '../git/objects.js';
import { DateQueue } from '../git/date-queue.js';
import { lookupPath } from '../git/tree-path.js';
import { type ObjectView } from './object-view.js';
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

export function log(repo: ObjectView, start: ObjectId, opts: { path?: string; limit: number; skip?: number }): LogPage {
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

function pathId(repo: ObjectView, tree: ObjectId, path: string): string {
  const e = lookupPath(repo.objects, tree, path);
  return e ? `${e.mode}:${e.id}` : '';
}

function* walk(repo: ObjectView, start: ObjectId, path: string | undefined): Generator<LogEntry> {
  const queue = new DateQueue();
  const seen = new Set<ObjectId>();
  // Decoded commits waiting in the queue only: a long walk does not keep the whole history decoded.
  const commits = new Map<ObjectId, Commit>();
  const push = (id: ObjectId) => {
    if (seen.has(id)) return;
    seen.add(id);
    const commit = readCommit(repo, id);
    commits.set(id, commit);
    queue.push(id, commit.committer.timestamp);
  };
  push(start);
  while (queue.size > 0) {
    const id = queue.pop();
    const commit = commits.get(id)!;
    commits.delete(id);
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
