// A replica's large change or snapshot, the heavy part, run in a worker thread: join the frames' bytes, decode the
// change record (or read the pack an agent from before records sends), check it as verify-change.ts does (every id the
// SHA-1 of its object, git's fsck rules, links against the replica's store, ref targets), lay its objects out as store
// records the main thread adopts without a copy (as an import's, workers/import-task.ts), and encode the journal record
// of the very change, so the main thread neither hashes nor copies nor encodes 150 MiB on its event loop. Nothing here
// changes the repository: a refused change is refused before anything is applied (replication/replica-install.ts).
import { invalid } from '../errors.js';
import { FsckError, type IdentifiedObject } from '../git/fsck/index.js';
import { GitFormatError, type ObjectReader } from '../git/objects.js';
import { readPack } from '../git/pack-reader.js';
import { decodeChange, encodeChange } from '../persistence/change-codec.js';
import { RECORD_HEADER as JOURNAL_RECORD_HEADER } from '../persistence/record-reader.js';
import { verifyChange } from '../replication/verify-change.js';
import { Arena, RECORD_HEADER, TYPE_CODES } from '../store/arena.js';
import type { Change, MetaChange, RefUpdate } from '../store/change.js';
import { chunkedBatch } from '../store/import-chunks.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import type { StoreSnapshot } from '../store/object-store.js';
import type { RecordBatchData } from '../store/record-batch.js';
import { fsckFailed } from './import-task.js';
import { ownedBytes } from './transfer.js';

export interface ReplicaChangeTaskInput {
  /** The body's bytes in order: a change record (a change's frames, a snapshot's), or a git pack. */
  parts: Uint8Array[];
  format: 'record' | 'pack';
  /** For a pack: the change it rebuilds, as the snapshot's last frame says (a record says it itself). */
  packChange?: { seq: number; epoch: number; refs: RefUpdate[]; meta: MetaChange };
  /** The replica's store the change builds on; none for a snapshot (it starts empty). */
  snapshot?: StoreSnapshot;
  /** Also encode the journal record (the repository is persisted). */
  journal: boolean;
}

export interface ReplicaChangeTaskOutput {
  seq: number;
  epoch: number;
  refs: RefUpdate[];
  meta?: MetaChange;
  /** Every object of the change, in its order, as store records. */
  objects: RecordBatchData;
  /** encodeChange(change, the journal's record header) of the change with exactly these objects. */
  journal?: Uint8Array;
}

const NOTHING: ObjectReader = { readObject: () => undefined };
/** One batch, in the change's order: the replica applies the change as one, so no link order is needed. */
const ONE_BATCH = { objects: Infinity, bytes: Infinity };

function joined(parts: Uint8Array[]): Buffer {
  if (parts.length === 1) return Buffer.from(parts[0].buffer, parts[0].byteOffset, parts[0].byteLength);
  return Buffer.concat(parts);
}

function decoded(input: ReplicaChangeTaskInput): Change {
  const body = joined(input.parts);
  if (input.format === 'record') return decodeChange(body);
  const c = input.packChange!;
  return { seq: c.seq, epoch: c.epoch, objects: readPack(body), refs: c.refs, meta: c.meta };
}

export function replicaChangeTask(input: ReplicaChangeTaskInput): ReplicaChangeTaskOutput {
  try {
    return install(input);
  } catch (e) {
    if (e instanceof FsckError) throw fsckFailed(e);
    if (e instanceof GitFormatError) throw invalid('invalid_change', `not a valid change record: ${e.message}`);
    throw e;
  }
}

function install(input: ReplicaChangeTaskInput): ReplicaChangeTaskOutput {
  const change = decoded(input);
  input.parts.length = 0;
  verifyChange(change, input.snapshot ? new SnapshotReader(input.snapshot) : NOTHING);
  const arena = new Arena();
  const fresh: IdentifiedObject[] = new Array(change.objects.length);
  const chunkOf: number[] = new Array(change.objects.length);
  const offsets: number[] = new Array(change.objects.length);
  const lengths: number[] = new Array(change.objects.length);
  const types: number[] = new Array(change.objects.length);
  for (let i = 0; i < change.objects.length; i++) {
    const o = change.objects[i];
    const [chunk, offset] = arena.append(o.type, o.data);
    fresh[i] = { id: o.id, type: o.type, data: arena.chunks[chunk - 1].subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + o.data.length) };
    chunkOf[i] = chunk - 1;
    offsets[i] = offset;
    lengths[i] = o.data.length;
    types[i] = TYPE_CODES[o.type];
  }
  const chunks = arena.chunks.map((c) => c.buffer as SharedArrayBuffer);
  const objects = chunkedBatch({ fresh, chunks, chunkOf, offsets, lengths, types }, ONE_BATCH);
  const out: ReplicaChangeTaskOutput = { seq: change.seq, epoch: change.epoch, refs: change.refs, objects };
  if (change.meta) out.meta = change.meta;
  if (input.journal) out.journal = ownedBytes(encodeChange({ ...change, objects: fresh }, JOURNAL_RECORD_HEADER));
  return out;
}
