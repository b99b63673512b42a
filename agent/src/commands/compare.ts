// `base...head` like GitHub's compare: the commits head has that base lacks, and the changes since their merge base.
import { ObjectId } from '../git/objects.js';
import { mergeBases } from '../git/merge-base.js';
import { formatPatch } from '../git/patch.js';
import { FileChange, diffTrees } from '../git/tree-diff.js';
import { Repository } from '../store/repository.js';
import { LogEntry } from './log.js';
import { readCommit, resolveCommit } from './resolve.js';

export const MAX_COMPARE_COMMITS = 250;

export interface Comparison {
  base: ObjectId;
  head: ObjectId;
  mergeBase: ObjectId | null;
  status: 'identical' | 'ahead' | 'behind' | 'diverged';
  aheadBy: number;
  behindBy: number;
  commits: LogEntry[];
  files: FileChange[];
  patch: string;
}

/** Commits reachable from `from` but not from `exclude`, newest first (parents after children). */
function reachableExcluding(repo: Repository, from: ObjectId, exclude: ObjectId): ObjectId[] {
  const excluded = new Set<ObjectId>();
  const stack = [exclude];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (excluded.has(id)) continue;
    excluded.add(id);
    stack.push(...readCommit(repo, id).parents);
  }
  const out: ObjectId[] = [];
  const seen = new Set<ObjectId>();
  const queue = [from];
  // An index instead of shift(): shift is O(n) per call, quadratic over a long history.
  for (let next = 0; next < queue.length; next++) {
    const id = queue[next];
    if (seen.has(id) || excluded.has(id)) continue;
    seen.add(id);
    out.push(id);
    queue.push(...readCommit(repo, id).parents);
  }
  return out;
}

export function compare(repo: Repository, baseRev: string, headRev: string): Comparison {
  const base = resolveCommit(repo, baseRev);
  const head = resolveCommit(repo, headRev);
  const mb = mergeBases(repo.objects, base, head)[0] ?? null;
  const ahead = reachableExcluding(repo, head, base);
  const behindBy = reachableExcluding(repo, base, head).length;
  const files = diffTrees(repo.objects, mb ? readCommit(repo, mb).tree : undefined, readCommit(repo, head).tree);
  const status = ahead.length === 0 ? (behindBy === 0 ? 'identical' : 'behind') : behindBy === 0 ? 'ahead' : 'diverged';
  // Oldest first, like GitHub and `git log --reverse base..head`.
  const commits = ahead.slice(0, MAX_COMPARE_COMMITS).reverse().map((id) => ({ id, commit: readCommit(repo, id) }));
  return {
    base, head, mergeBase: mb, status, aheadBy: ahead.length, behindBy, commits, files,
    patch: formatPatch(repo.objects, files),
  };
}
