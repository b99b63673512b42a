// Bundle import, main-thread side: hand the bundle and a snapshot of the repository's store to a worker (which parses,
// inflates, hashes and checks everything: workers/import-task.ts), then apply its verdict in one synchronous step. The
// repository may have moved on while the worker ran: the ref updates are compare-and-swaps against the refs the worker
// saw (409 ref_conflict when one moved), and objects stored meanwhile are simply present twice in the change. The new
// objects arrive as store records in shared memory, adopted by the store without a copy.
import { conflict } from '../errors.js';
import type { BundleRef } from '../git/bundle.js';
import { DEFAULT_LIMITS, type Limits } from '../limits.js';
import { batchObjects } from '../store/record-batch.js';
import type { RefUpdate, Repository } from '../store/repository.js';
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
}

/** An empty repository adopts the bundle's HEAD branch as its default branch, so a migrated repo checks out the same. */
function adoptedDefaultBranch(repo: Repository, bundleRefs: BundleRef[]): { defaultBranch: string } | undefined {
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
  const input: ImportTaskInput = {
    bundle: opts.donate ? ownedBytes(data) : new Uint8Array(data),
    snapshot: repo.objects.snapshot(),
    refs: repo.listRefs(),
    limits: opts.limits ?? DEFAULT_LIMITS,
  };
  const verdict = await runInWorker<ImportTaskOutput>('importBundle', input, [input.bundle.buffer as ArrayBuffer]);
  opts.stillCurrent?.(repo);
  const objects = batchObjects(verdict.objects);
  if (objects.length === 0 && verdict.updates.length === 0) {
    return { objects: 0, refs: [], defaultBranch: repo.meta.defaultBranch };
  }
  repo.objects.reserve(objects.length);
  const change = repo.apply(objects, verdict.updates, adoptedDefaultBranch(repo, verdict.bundleRefs));
  return { objects: objects.length, refs: verdict.updates, defaultBranch: repo.meta.defaultBranch, seq: change.seq };
}

/** For callers that need the repository to still be the one registered under its name. */
export function repositoryReplaced(name: string): Error {
  return conflict('repository_replaced', `repository ${name} was deleted or replaced while the import ran; nothing was changed`);
}
