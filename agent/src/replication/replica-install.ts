// A replica's large change or snapshot, main-thread side. Its frames are copied into shared memory as they arrive (a
// megabyte each, one per message); once the last is in, a worker decodes, checks and lays out the change
// (workers/replica-change-task.ts), and the main thread adopts its objects into the store in bounded parts, one per
// event-loop turn in turn with imports' chunks (store/import-chunks.ts, commands/bundle-import.ts chunkTurn), without
// a copy. The caller then applies the change itself — refs, seq, journal — in one step (replica-role.ts), so the
// replica still holds exactly its primary's change at its seq. Small changes (one frame) skip all this: the in-loop
// path is faster for them than a worker's round trip.
import { chunkTurn } from '../commands/bundle-import.js';
import { withJournalRecord } from '../persistence/change-codec.js';
import { DEFAULT_CHUNK_LIMITS, importChunks, type ChunkLimits } from '../store/import-chunks.js';
import type { ObjectStore, StoreSnapshot } from '../store/object-store.js';
import { batchRange, openBatch, type BatchObject } from '../store/record-batch.js';
import type { Change, Repository } from '../store/repository.js';
import type { ReplicaChangeTaskInput, ReplicaChangeTaskOutput } from '../workers/replica-change-task.js';
import { runInWorker } from '../workers/pool.js';

/** A body's bytes as they arrive, each frame copied into shared memory (handed to the worker by reference). */
export class SharedParts {
  readonly parts: Uint8Array[] = [];
  bytes = 0;

  push(frame: Uint8Array): void {
    const part = new Uint8Array(new SharedArrayBuffer(frame.byteLength));
    part.set(frame);
    this.parts.push(part);
    this.bytes += frame.byteLength;
  }
}

/** A change decoded and checked by a worker, its objects adopted (or being adopted) into a store. */
export interface PreparedChange {
  change: Change;
  /** Its journal record, when the repository is persisted. */
  journal?: Buffer;
}

export interface PrepareOptions {
  /** The seq the change must be at (what its frames say). */
  seq: number;
  format?: 'record' | 'pack';
  packChange?: ReplicaChangeTaskInput['packChange'];
  /** The store the change builds on (its links are checked against it); none for a snapshot. */
  base?: StoreSnapshot;
  journal: boolean;
  /** Where the objects go, in bounded parts. */
  into: ObjectStore;
  /** Checked before each part: false stops the adoption (the caller then drops the change). */
  wanted: () => boolean;
  chunks?: ChunkLimits;
}

/**
 * Decodes and checks the body in a worker (throws its refusal: 422 fsck_failed, 400 invalid_change, 503 worker_failed
 * when the thread dies), then adopts its objects into `into` a bounded part per turn. Undefined when `wanted` turned
 * false on the way: the objects adopted so far stay in the store, unreferenced.
 */
export async function prepareOffLoop(parts: SharedParts, opts: PrepareOptions): Promise<PreparedChange | undefined> {
  // The task holds the parts until a thread takes it; after that only the worker does.
  const input: ReplicaChangeTaskInput = { parts: parts.parts.splice(0), format: opts.format ?? 'record', journal: opts.journal };
  if (opts.packChange) input.packChange = opts.packChange;
  if (opts.base) input.snapshot = opts.base;
  const out = await runInWorker<ReplicaChangeTaskOutput>('replicaChange', input);
  if (out.seq !== opts.seq) throw new Error(`change record is at seq ${out.seq}, its frames say ${opts.seq}`);
  const batch = openBatch(out.objects);
  const count = batch.offsets.length;
  const objects: BatchObject[] = [];
  opts.into.reserve(count);
  for (const [start, end] of importChunks(batch.lengths, opts.chunks ?? DEFAULT_CHUNK_LIMITS)) {
    await chunkTurn();
    if (!opts.wanted()) return undefined;
    const part = batchRange(batch, start, end);
    for (const o of part) opts.into.putObject(o);
    for (const o of part) objects.push(o);
  }
  const change: Change = { seq: out.seq, epoch: out.epoch, objects, refs: out.refs };
  if (out.meta) change.meta = out.meta;
  const prepared: PreparedChange = { change };
  if (out.journal) prepared.journal = Buffer.from(out.journal.buffer, out.journal.byteOffset, out.journal.byteLength);
  return prepared;
}

/** Applies a prepared change to `repo` (its objects are there already): journal record as the worker encoded it. */
export function applyPrepared(repo: Repository, prepared: PreparedChange): void {
  withJournalRecord(prepared.change, prepared.journal, () => repo.applyRecorded(prepared.change));
}
