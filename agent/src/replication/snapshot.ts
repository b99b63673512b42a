// Full copies of a repository for replicas that are empty or too far behind: every object in one git v2 pack, cut into
// frames of at most FRAME_BYTES, the refs and metadata in the last frame. Installing one yields a single change record
// holding everything, so the replica's journal and sequence number continue from the snapshot's seq.
import { readPack } from '../git/pack-reader.js';
import { writePack } from '../git/pack-writer.js';
import { Change, Repository } from '../store/repository.js';
import { SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';

export const FRAME_BYTES = 1024 * 1024;

export function snapshotFrames(repo: Repository, epoch: number): SnapshotFrame[] {
  const pack = writePack(repo.objects.objects(), repo.objects.size);
  const frames: SnapshotFrame[] = [];
  const base = {
    seq: repo.seq, epoch, last: false, refs: [], defaultBranch: '', description: '', createdAt: '', lastEpoch: repo.lastEpoch,
  };
  for (let at = 0; at < pack.length; at += FRAME_BYTES) frames.push({ ...base, pack: pack.subarray(at, at + FRAME_BYTES) });
  const last = frames[frames.length - 1];
  last.last = true;
  last.refs = repo.listRefs('').map(([name, id]) => ({ name, id }));
  last.defaultBranch = repo.meta.defaultBranch;
  last.description = repo.meta.description;
  last.createdAt = repo.meta.createdAt;
  return frames;
}

/** The change that rebuilds the snapshot's state in an empty repository. */
export function snapshotChange(frames: SnapshotFrame[]): Change {
  const last = frames[frames.length - 1];
  const pack = Buffer.concat(frames.map((f) => f.pack));
  const objects = readPack(pack);
  return {
    seq: last.seq,
    epoch: last.lastEpoch,
    objects,
    refs: last.refs.map((r) => ({ name: r.name, old: null, new: r.id })),
    meta: { defaultBranch: last.defaultBranch, description: last.description },
  };
}
