// Full copies of a repository for replicas that are empty or too far behind: one change record (the codec of the
// journal and of the change stream) holding every object, the refs and the metadata, cut into frames of at most
// FRAME_BYTES; the last frame also carries the refs and metadata. Installing one yields a single change record holding
// everything, so the replica's journal and sequence number continue from the snapshot's seq. The record costs a copy
// of each object to build and to read, where a git pack (what agents before it sent, still read) cost a deflate and
// an inflate per object: ~15-40x the CPU, all of it blocking the agent's event loop. A replica from before records
// (its Subscribe does not ask for them) still gets a pack.
import { readPack } from '../git/pack-reader.js';
import { writePack } from '../git/pack-writer.js';
import { decodeChange, encodeChange } from '../persistence/change-codec.js';
import { Change, Repository } from '../store/repository.js';
import { SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';

export const FRAME_BYTES = 1024 * 1024;

/** `record`: one change record; `pack`: a git pack, for a replica from before records (read by snapshotChange either way). */
export type SnapshotFormat = 'record' | 'pack';

export function snapshotFrames(repo: Repository, epoch: number, format: SnapshotFormat = 'record'): SnapshotFrame[] {
  // The copy at its applied seq (pending changes included): the stream goes on from there with the next change.
  const refs = repo.newest.listRefs('');
  const meta = repo.newest.meta;
  const body = format === 'pack'
    ? writePack(repo.objects.objects(), repo.objects.size)
    : encodeChange({
      seq: repo.seq,
      epoch: repo.lastEpoch,
      objects: [...repo.objects.objects()],
      refs: refs.map(([name, id]) => ({ name, old: null, new: id })),
      meta: { defaultBranch: meta.defaultBranch, description: meta.description },
    });
  const frames: SnapshotFrame[] = [];
  const base = {
    seq: repo.seq, epoch, last: false, refs: [], defaultBranch: '', description: '', createdAt: '', lastEpoch: repo.lastEpoch,
    pack: Buffer.alloc(0), change: Buffer.alloc(0),
  };
  for (let at = 0; at < body.length; at += FRAME_BYTES) frames.push({ ...base, [format === 'pack' ? 'pack' : 'change']: body.subarray(at, at + FRAME_BYTES) });
  const last = frames[frames.length - 1];
  last.last = true;
  last.refs = refs.map(([name, id]) => ({ name, id }));
  last.defaultBranch = meta.defaultBranch;
  last.description = meta.description;
  last.createdAt = meta.createdAt;
  return frames;
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
