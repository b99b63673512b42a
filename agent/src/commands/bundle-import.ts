// Bundle import, main-thread side: hand the bundle and a snapshot of the repository's store to a worker (which parses,
// inflates, hashes and checks everything: workers/import-task.ts), then apply its verdict. The new objects arrive as
// store records in shared memory, adopted by the store without a copy, and are applied in bounded chunks
// (store/import-chunks.ts), each its own change without ref updates, one per event-loop turn; the ref updates follow
// in one compare-and-swap change, the way git receives a pack and then updates refs. So an import of any size never
// holds the loop longer than one chunk. The repository may have moved on while the worker ran: the ref updates are
// compare-and-swaps against the refs the worker saw (409 ref_conflict when one moved; the objects already applied stay
// behind unreferenced, as git leaves a pack whose ref update lost a race), and objects stored meanwhile are simply
// present twice. A refusal by the checks changes nothing: they all ran in the worker before anything was applied.
import { conflict } from '../errors.js';
import type { BundleRef } from '../git/bundle.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { DEFAULT_CHUNK_LIMITS, importChunks, type ChunkLimits } from '../store/import-chunks.js';
import { batchRange, openBatch } from '../store/record-batch.js';
import type { RefUpdate, RepoView, Repository } from '../store/repository.js';
import type { ImportTaskInput, ImportTaskOutput } from '../workers/import-task.js';
import { runInWorker } from '../workers/pool.js';
import { ownedBytes } from '../workers/transfer.js';

export interface ImportResult {
  objects: number;
  refs: RefUpdate[];
  defaultBranch: string;
  seq?: number;
}

export interface ImportOptions {
  limits?: Limits;
  /** Throws when `repo` is no longer the repository of its name (deleted, replaced by a snapshot) once the worker is done. */
  stillCurrent?: (repo: Repository) => void;
  /** The caller gives up `data` (a request body): it moves to the worker without a copy and is unusable afterwards. */
  donate?: boolean;
  /** How the new objects are cut into changes (tests make them small). */
  chunks?: ChunkLimits;
}

/** An empty repository adopts the bundle's HEAD branch as its default branch, so a migrated repo checks out the same. */
function adoptedDefaultBranch(repo: RepoView, bundleRefs: BundleRef[]): { defaultBranch: string } | undefined {
  const headId = bundleRefs.find((r) => r.name === 'HEAD')?.id;
  if (repo.listRefs().length > 0 || !headId || bundleRefs.some((r) => r.name === repo.headRef)) return undefined;
  const headBranch = bundleRefs.find((r) => r.name.startsWith('refs/heads/') && r.id === headId);
  return headBranch ? { defaultBranch: headBranch.name.slice('refs/heads/'.length) } : undefined;
}

/**
 * Imports a bundle: every object is parsed and checked (git's fsck rules, limits), prerequisites must already be here,
 * every ref the bundle carries must be fully connected. New refs are created; existing refs only move forward
 * (fast-forward) — anything else is a 409 and nothing changes.
 */
export async function importBundleOffLoop(repo: Repository, data: Buffer, opts: ImportOptions = {}): Promise<ImportResult> {
  const chunkLimits = opts.chunks ?? DEFAULT_CHUNK_LIMITS;
  const input: ImportTaskInput = {
    bundle: opts.donate ? ownedBytes(data) : new Uint8Array(data),
    snapshot: repo.objects.snapshot(),
    // What the import builds on is the newest state, pending changes included: its ref updates are checked against it.
    refs: repo.newest.listRefs(),
    limits: opts.limits ?? DEFAULT_LIMITS,
    chunks: chunkLimits,
  };
  const verdict = await runInWorker<ImportTaskOutput>('importBundle', input, [input.bundle.buffer as ArrayBuffer]);
  opts.stillCurrent?.(repo);
  const count = verdict.objects.offsets.length;
  if (count === 0 && verdict.updates.length === 0) {
    return { objects: 0, refs: [], defaultBranch: repo.newest.meta.defaultBranch };
  }
  const batch = openBatch(verdict.objects);
  const chunks = importChunks(verdict.objects.lengths, chunkLimits);
  repo.objects.reserve(count);
  const seqs: number[] = [];
  for (let c = 0; c < chunks.length; c++) {
    // At most two chunks not yet durable: a disk slower than the import bounds what waits in memory for it.
    if (c >= 2) await repo.whenDurable(seqs[c - 2]);
    if (chunks.length > 1) {
      await chunkTurn();
      opts.stillCurrent?.(repo);
    }
    const [start, end] = chunks[c];
    const objects = batchRange(batch, start, end);
    const last = c === chunks.length - 1;
    const change = last ? repo.apply(objects, verdict.updates, adoptedDefaultBranch(repo.newest, verdict.bundleRefs)) : repo.apply(objects, []);
    seqs.push(change.seq);
  }
  return { objects: count, refs: verdict.updates, defaultBranch: repo.newest.meta.defaultBranch, seq: seqs[seqs.length - 1] };
}

/**
 * Resolves after the event loop went through its I/O phase: a chunk applied in the check phase (after a setImmediate)
 * lets the next I/O phase run before the next one, while a chunk applied right after the worker's answer (in the I/O
 * phase) would have the first setImmediate run in the same loop iteration, with no I/O between two chunks.
 */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

let lastTurn: Promise<void> = Promise.resolve();

/**
 * Resolves when this import may apply its next chunk (or a replica adopt its next part of a large change): in order
 * across every import running, with the loop's I/O phase
 * between two chunks, so concurrent imports never apply several chunks in one turn.
 */
export function chunkTurn(): Promise<void> {
  const mine = lastTurn.then(nextTurn);
  lastTurn = mine;
  return mine;
}

/** For callers that need the repository to still be the one registered under its name. */
export function repositoryReplaced(name: string): Error {
  return conflict('repository_replaced', `repository ${name} was deleted or replaced while the import ran; nothing was changed`);
}
