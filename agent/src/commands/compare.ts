// `base...head` like GitHub's compare: the commits head has that base lacks — in the order of
// `git log --reverse base..head`, paginated — and the changes since their merge base as `git diff base...head` shows
// them (renames included, as git's defaults have it).
import { invalid } from '../errors.js';
import { type ObjectId } from '../git/objects.js';
import { detectDiffRenames } from '../git/diff-renames.js';
import { mergeBases } from '../git/merge-base.js';
import { formatPatch } from '../git/patch.js';
import { revListRange } from '../git/rev-list.js';
import { type FileChange, diffTrees } from '../git/tree-diff.js';
import { type Repository } from '../store/repository.js';
import { gitCall } from './git-errors.js';
import { type LogEntry } from './log.js';
import { type ObjectView } from './object-view.js';
import { readCommit, resolveCommit } from './resolve.js';
import { abbreviate } from './revision.js';

export const DEFAULT_COMPARE_LIMIT = 250;
export const MAX_COMPARE_LIMIT = 1000;

export interface Comparison {
  base: ObjectId;
  head: ObjectId;
  mergeBase: ObjectId | null;
  status: 'identical' | 'ahead' | 'behind' | 'diverged';
  aheadBy: number;
  behindBy: number;
  /** One page of the aheadBy commits, oldest first. */
  commits: LogEntry[];
  /** Cursor for the next page, when commits remain. */
  next?: string;
  files: FileChange[];
  patch: string;
}

interface Cursor {
  base: ObjectId;
  head: ObjectId;
  skip: number;
}

const HEX40 = /^[0-9a-f]{40}$/;

export function encodeCompareCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCompareCursor(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Cursor;
    if (HEX40.test(c.base) && HEX40.test(c.head) && Number.isSafeInteger(c.skip) && c.skip > 0) return c;
  } catch {
    // fall through
  }
  throw invalid('invalid_cursor', 'cursor is not one this server issued');
}

export interface CompareOptions {
  limit?: number;
  /** From a previous page: pins base and head to the commits the first page resolved. */
  cursor?: string;
}

/** A comparison with its revisions resolved (main thread: refs), ready to be computed anywhere. */
export interface CompareQuery {
  base: ObjectId;
  head: ObjectId;
  skip: number;
  limit: number;
}

/** Resolves the two revisions (or the cursor's commits): cheap, and it needs the refs, so it runs on the main thread. */
export function resolveCompare(repo: Repository, baseRev: string, headRev: string, opts: CompareOptions = {}): CompareQuery {
  const limit = opts.limit ?? DEFAULT_COMPARE_LIMIT;
  const cursor = opts.cursor === undefined ? undefined : decodeCompareCursor(opts.cursor);
  const base = cursor?.base ?? resolveCommit(repo, baseRev);
  const head = cursor?.head ?? resolveCommit(repo, headRev);
  return { base, head, skip: cursor?.skip ?? 0, limit };
}

/** The comparison itself, from objects alone: whole-history walks, rename detection and the patch (a worker runs it). */
export function compareCommits(view: ObjectView, { base, head, skip, limit }: CompareQuery): Comparison {
  const objects = view.objects;
  return gitCall(() => {
    const mb = mergeBases(objects, base, head)[0] ?? null;
    // `git log base..head` is newest first; a compare lists oldest first (`--reverse`).
    const ahead = revListRange(objects, head, base).reverse();
    const behindBy = revListRange(objects, base, head).length;
    // With git diff's default rename detection, so files and patch are `git diff base...head`.
    const files = detectDiffRenames(objects, diffTrees(objects, mb ? readCommit(view, mb).tree : undefined, readCommit(view, head).tree));
    const status = ahead.length === 0 ? (behindBy === 0 ? 'identical' : 'behind') : behindBy === 0 ? 'ahead' : 'diverged';
    const page = ahead.slice(skip, skip + limit);
    const out: Comparison = {
      base, head, mergeBase: mb, status, aheadBy: ahead.length, behindBy,
      commits: page.map((id) => ({ id, commit: readCommit(view, id) })),
      files,
      patch: formatPatch(objects, files, { abbreviate: (id) => abbreviate(view, id) }),
    };
    if (skip + limit < ahead.length) out.next = encodeCompareCursor({ base, head, skip: skip + limit });
    return out;
  });
}

/** `base...head` on this thread (the REST route runs it in a worker: commands/off-loop.ts). */
export function compare(repo: Repository, baseRev: string, headRev: string, opts: CompareOptions = {}): Comparison {
  return compareCommits(repo, resolveCompare(repo, baseRev, headRev, opts));
}
