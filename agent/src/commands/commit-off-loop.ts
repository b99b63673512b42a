// Where a REST commit is computed: small ones on the event loop (a worker round trip and packing would cost more than
// the commit), large ones in a worker thread (workers/commit-task.ts) — 20,000 files cost ~70 ms of tree building,
// hashing and fsck rules, which held /healthz ~200 ms. As for merges (off-loop.ts): the branch is read here, the
// commit computed from a snapshot of the object store, its new objects (store records in shared memory) adopted here
// without a copy, and the branch moved by compare-and-swap against the head it was computed from: 409 ref_conflict
// when it moved meanwhile, and nothing changes. Either way the same computeCommit runs, so the same input gives the
// same commit and the same refusals.
import { batchObjects } from '../store/record-batch.js';
import type { Repository } from '../store/repository.js';
import { packFiles, type CommitTaskInput, type CommitTaskOutput } from '../workers/commit-task.js';
import { runInWorker } from '../workers/pool.js';
import { applyCommit, commitHeadForWrite, createCommit, type CommitInput, type CommitResult } from './commit.js';

/** Commits writing or deleting more paths than this are computed in a worker (1000 paths: ~4 ms here). */
export const COMMIT_ON_LOOP_PATHS = 1000;
/** ...and so are those whose contents not yet hashed come to more bytes than this (SHA-1: ~2 ms per MiB). */
export const COMMIT_ON_LOOP_BYTES = 8 << 20;

/** Where a commit is computed (pure: tested without servers). `bytes`: content bytes still to hash. */
export function commitPlace(paths: number, bytes: number): 'loop' | 'worker' {
  return paths > COMMIT_ON_LOOP_PATHS || bytes > COMMIT_ON_LOOP_BYTES ? 'worker' : 'loop';
}

/** Content bytes the commit still has to hash (contents a worker prepared in shared memory are hashed already). */
function unhashedBytes(input: CommitInput): number {
  let bytes = 0;
  for (const f of input.files) if (!(f.content.buffer instanceof SharedArrayBuffer)) bytes += f.content.length;
  return bytes;
}

/**
 * A commit: here when small, computed in a worker when large. `stillCurrent` runs before a worker's result is applied
 * (e.g. to refuse when the repository was deleted and created again meanwhile).
 */
export async function commitOffLoop(repo: Repository, input: CommitInput, stillCurrent?: (repo: Repository) => void): Promise<CommitResult> {
  if (commitPlace(input.files.length + input.deletes.length, unhashedBytes(input)) === 'loop') return createCommit(repo, input);
  const current = commitHeadForWrite(repo, input.branch);
  const { files, ...commit } = input;
  const task: CommitTaskInput = { snapshot: repo.objects.snapshot(), current, commit, files: packFiles(files) };
  const o = await runInWorker<CommitTaskOutput>('commit', task, [task.files.contents.buffer as ArrayBuffer]);
  stillCurrent?.(repo);
  return applyCommit(repo, input.branch, current, { ...o, objects: batchObjects(o.objects) });
}
