// Full copies of a repository for replicas that are empty or too far behind: one change record (the codec of the
// journal and of the change stream) holding every object, the refs and the metadata, cut into frames of at most
// FRAME_BYTES; the last frame also carries the refs and metadata. Installing one yields a single change record holding
// everything, so the replica's journal and sequence number continue from the snapshot's seq. The record costs a copy
// of each object to build and to read, where a git pack (what agents before it sent, still read) cost a deflate and
// an inflate per object: ~15-40x the CPU. A replica from before records (its Subscribe does not ask for them) still
// gets a pack.
// The body is produced piece by piece (snapshotBody) and cut into frames (FrameCutter), so a primary streams it from a
// worker thread over a snapshot of the object store, a few frames at a time (snapshot-stream.ts), instead of building a
// copy of the whole repository on its event loop; snapshotFrames builds the same frames at once.
import { readPack } from '../git/pack-reader.js';
import { PackEncoder } from '../git/pack-writer.js';
import type { ObjectId } from '../git/objects.js';
import { decodeChange } from '../persistence/change-codec.js';
import { Change, Repository, type StoredObject } from '../store/repository.js';
import { SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';
import { recordBody } from './record-body.js';

export const FRAME_BYTES = 1024 * 1024;

/** `record`: one change record; `pack`: a git pack, for a replica from before records (read by snapshotChange either way). */
export type SnapshotFormat = 'record' | 'pack';

/** What a snapshot says besides its objects, taken at the same instant as them. */
export interface SnapshotState {
  seq: number;
  lastEpoch: number;
  /** Every ref, sorted by name. */
  refs: [string, ObjectId][];
  defaultBranch: string;
  description: string;
  createdAt: string;
}

export function snapshotState(repo: Repository): SnapshotState {
  // The copy at its applied seq (pending changes included): the stream goes on from there with the next change.
  const meta = repo.newest.meta;
  return {
    seq: repo.seq, lastEpoch: repo.lastEpoch, refs: repo.newest.listRefs(''),
    defaultBranch: meta.defaultBranch, description: meta.description, createdAt: meta.createdAt,
  };
}

/**
 * The snapshot's body, in pieces: for `record` exactly the bytes of encodeChange (persistence/change-codec.ts) of a
 * change holding every object, the refs as creations and the metadata; for `pack` a git pack of every object.
 */
export function* snapshotBody(objects: Iterable<StoredObject>, count: number, state: SnapshotState, format: SnapshotFormat): Generator<Buffer> {
  if (format === 'pack') {
    const pack = new PackEncoder(count, FRAME_BYTES);
    for (const o of objects) {
      pack.add(o);
      yield* pack.take();
    }
    yield* pack.finish();
    return;
  }
  const json = JSON.stringify({
    refs: state.refs.map(([name, id]) => ({ name, old: null, new: id })),
    meta: { defaultBranch: state.defaultBranch, description: state.description },
  });
  yield* recordBody({ seq: state.seq, epoch: state.lastEpoch }, objects, count, json);
}

/** Cuts a stream of pieces into frames of exactly FRAME_BYTES (the last one shorter), each in its own ArrayBuffer. */
export class FrameCutter {
  private frame = Buffer.from(new ArrayBuffer(FRAME_BYTES));
  private used = 0;

  /** Frames completed by `bytes`. */
  push(bytes: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let at = 0;
    while (at < bytes.length) {
      const n = Math.min(bytes.length - at, FRAME_BYTES - this.used);
      this.frame.set(bytes.subarray(at, at + n), this.used);
      this.used += n;
      at += n;
      if (this.used === FRAME_BYTES) {
        out.push(this.frame);
        this.frame = Buffer.from(new ArrayBuffer(FRAME_BYTES));
        this.used = 0;
      }
    }
    return out;
  }

  /** The last, partial frame (none when the body ended on a frame boundary). */
  end(): Buffer[] {
    return this.used === 0 ? [] : [this.frame.subarray(0, this.used)];
  }
}

/** One frame of the body; the last also carries the refs and metadata. */
export function snapshotFrame(state: SnapshotState, epoch: number, format: SnapshotFormat, body: Buffer, last: boolean): SnapshotFrame {
  const frame: SnapshotFrame = {
    seq: state.seq, epoch, last: false, refs: [], defaultBranch: '', description: '', createdAt: '', lastEpoch: state.lastEpoch,
    pack: format === 'pack' ? body : Buffer.alloc(0), change: format === 'pack' ? Buffer.alloc(0) : body,
  };
  if (!last) return frame;
  return {
    ...frame, last: true, refs: state.refs.map(([name, id]) => ({ name, id })), defaultBranch: state.defaultBranch,
    description: state.description, createdAt: state.createdAt,
  };
}

/** Every frame at once, on this thread (primaries stream them from a worker instead: snapshot-stream.ts). */
export function snapshotFrames(repo: Repository, epoch: number, format: SnapshotFormat = 'record'): SnapshotFrame[] {
  const state = snapshotState(repo);
  const cutter = new FrameCutter();
  const bodies: Buffer[] = [];
  for (const piece of snapshotBody(repo.objects.objects(), repo.objects.size, state, format)) bodies.push(...cutter.push(piece));
  bodies.push(...cutter.end());
  return bodies.map((b, i) => snapshotFrame(state, epoch, format, b, i === bodies.length - 1));
}

/** The change that rebuilds the snapshot's state in an empty repository. */
export function snapshotChange(frames: SnapshotFrame[]): Change {
  const last = frames[frames.length - 1];
  if (frames.some((f) => f.change.length > 0)) {
    const change = decodeChange(Buffer.concat(frames.map((f) => f.change)));
    if (change.seq !== last.seq) throw new Error(`snapshot record is at seq ${change.seq}, its frames say ${last.seq}`);
    return change;
  }
  // From an agent that sends packs.
  const objects = readPack(Buffer.concat(frames.map((f) => f.pack)));
  return {
    seq: last.seq,
    epoch: last.lastEpoch,
    objects,
    refs: last.refs.map((r) => ({ name: r.name, old: null, new: r.id })),
    meta: { defaultBranch: last.defaultBranch, description: last.description },
  };
}
