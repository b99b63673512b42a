// Which reads and merges run on the event loop and which in a worker thread, and the main-thread side of the latter:
// revisions are resolved here (they need the refs, and cost microseconds), then the commit ids and a snapshot of the
// object store (shared memory, nothing copied) go to a worker, which computes the answer and serializes it
// (workers/query-tasks.ts); a merge comes back as its new objects, applied here by compare-and-swap.
//
// The rule, from measurements on the express history (README, "Worker threads"): a worker round trip costs ~0.1-0.3 ms,
// so anything whose cost is unbounded by the request goes to a worker whatever its size, and only what is bounded and
// small stays here:
// - compare: always a worker. Its cost is two history walks, rename detection (up to 1000 × 1000 similarity
//   estimates) and line diffs of every changed file: 1 ms for adjacent commits, 190-330 ms for the whole history, and
//   no bound on hostile input; nothing cheap tells the two apart beforehand.
// - merges: always a worker (ancestry walks, ort with rename detection up to 7000 × 7000); they are writes, rare, and
//   the round trip is noise next to the journal's sync.
// - history with a path: always a worker. A page may walk the whole history to find a rarely touched path (30-50 ms on
//   express, linear in the history).
// - history without a path: here when the page is shallow (skip + limit ≤ LOG_ON_LOOP_COMMITS), within a budget of
//   object reads and bytes (an octopus merge's parents are read too); past the budget the partial walk is dropped and
//   the page computed in a worker. Deeper pages go to a worker at once. The default page (50) costs ~0.3 ms here.
// - tree listings: here unless the tree object is over TREE_ON_LOOP_BYTES (~1500 entries, ~1 ms); larger ones are
//   listed and serialized in a worker.
// - branch and tag listings: here up to REFS_ON_LOOP refs; longer ones are described (tags: read and peeled) and
//   serialized in a worker (100,000 branches: ~100 ms of serialization, 10,000 annotated tags ~100 ms). The refs are
//   still listed and sorted here (Repository.listRefs: ~20-40 ms for 100,000; a sorted index would remove it).
import type { FastifyReply } from 'fastify';
import { batchObjects } from '../store/record-batch.js';
import type { Repository } from '../store/repository.js';
import type { CompareTaskInput, HistoryQuery, HistoryTaskInput, MergeTaskInput, MergeTaskOutput, RefsTaskInput, TreeTaskInput } from '../workers/query-tasks.js';
import { flattenRefs, historyReply } from '../workers/query-tasks.js';
import type { JsonReply } from '../workers/reply-json.js';
import { runInWorker } from '../workers/pool.js';
import { Budget, BudgetExceeded, budgeted } from './budget.js';
import { resolveCompare, type CompareOptions } from './compare.js';
import { applyMerge, resolveMerge, type MergeInput, type MergeResult } from './merge.js';
import { locateTree, treeListing, type TreeListing } from './read.js';
import { branchesOf, PREFIX, tagsOf, type BranchInfo, type TagInfo } from './refs.js';

/** History pages reaching deeper than this many commits are computed in a worker. */
export const LOG_ON_LOOP_COMMITS = 256;
/** What a history page may read on the event loop before it is handed to a worker instead. */
export const LOG_ON_LOOP_BUDGET: Budget = { reads: 512, bytes: 512 * 1024 };
/** Branch or tag listings longer than this are built and serialized in a worker. */
export const REFS_ON_LOOP = 1000;
/** Trees larger than this (bytes of the tree object, ~30-40 per entry) are listed in a worker. */
export const TREE_ON_LOOP_BYTES = 64 * 1024;

/** A reply a worker serialized: sent as it is, with the content type fastify gives JSON. */
export function sendJsonReply(reply: FastifyReply, r: JsonReply): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Buffer.from(r.json.buffer, r.json.byteOffset, r.json.byteLength));
}

/** `base...head`: resolved here, computed and serialized in a worker. */
export async function compareOffLoop(repo: Repository, baseRev: string, headRev: string, opts: CompareOptions = {}): Promise<JsonReply> {
  const input: CompareTaskInput = { snapshot: repo.objects.snapshot(), query: resolveCompare(repo, baseRev, headRev, opts) };
  return runInWorker<JsonReply>('compare', input);
}

/** Where a history page is computed (pure: tested without servers). */
export function historyPlace(q: Pick<HistoryQuery, 'path' | 'skip' | 'limit'>): 'loop' | 'worker' {
  return q.path === undefined && q.skip + q.limit <= LOG_ON_LOOP_COMMITS ? 'loop' : 'worker';
}

export type HistoryBody = ReturnType<typeof historyReply>;

/** A page of history: the reply's value when computed here, its bytes when a worker made it. */
export async function historyOffLoop(repo: Repository, q: HistoryQuery): Promise<{ value: HistoryBody } | JsonReply> {
  if (historyPlace(q) === 'loop') {
    try {
      return { value: historyReply(budgeted(repo, LOG_ON_LOOP_BUDGET), q) };
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
    }
  }
  const input: HistoryTaskInput = { snapshot: repo.objects.snapshot(), query: q };
  return runInWorker<JsonReply>('history', input);
}

/** A directory listing: small trees here, large ones listed and serialized in a worker. */
export async function listTreeOffLoop(repo: Repository, rev: string, path: string): Promise<{ value: TreeListing } | JsonReply> {
  const tree = locateTree(repo, rev, path);
  if (tree.bytes <= TREE_ON_LOOP_BYTES) return { value: treeListing(repo, tree) };
  const input: TreeTaskInput = { snapshot: repo.objects.snapshot(), tree };
  return runInWorker<JsonReply>('listTree', input);
}

/** Every branch or tag: short listings here (as values), long ones built and serialized in a worker (as the reply). */
export async function listRefsOffLoop(repo: Repository, kind: 'branch'): Promise<{ value: BranchInfo[] } | JsonReply>;
export async function listRefsOffLoop(repo: Repository, kind: 'tag'): Promise<{ value: TagInfo[] } | JsonReply>;
export async function listRefsOffLoop(repo: Repository, kind: 'branch' | 'tag'): Promise<{ value: BranchInfo[] | TagInfo[] } | JsonReply> {
  const refs = repo.listRefs(PREFIX[kind]);
  if (refs.length <= REFS_ON_LOOP) return { value: kind === 'branch' ? branchesOf(refs) : tagsOf(repo, refs) };
  const input: RefsTaskInput = { snapshot: repo.objects.snapshot(), kind, refs: flattenRefs(refs) };
  return runInWorker<JsonReply>('listRefs', input);
}

/**
 * A merge: the branch and the revision resolved here, the merge computed in a worker, its objects (store records in
 * shared memory) adopted here without a copy and the branch moved by compare-and-swap against the head it was
 * computed from — 409 ref_conflict when the branch moved meanwhile, and nothing changes.
 */
export async function mergeOffLoop(repo: Repository, input: MergeInput, stillCurrent?: (repo: Repository) => void): Promise<MergeResult> {
  const query = resolveMerge(repo, input);
  const task: MergeTaskInput = { snapshot: repo.objects.snapshot(), query };
  const o = await runInWorker<MergeTaskOutput>('merge', task);
  stillCurrent?.(repo);
  return applyMerge(repo, query, o.status === 'merged' ? { ...o, objects: batchObjects(o.objects) } : o);
}
