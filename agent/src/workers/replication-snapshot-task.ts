// A replication snapshot streamed from a worker: the body of every object of a store snapshot (a change record, or a git
// pack for a replica from before records: replication/snapshot.ts) cut into frames here, each sent to the main thread as
// it is made, with the same credit as exports (credit.ts): the main thread grants more as the replica's stream drains,
// so a primary never holds a copy of the whole repository, and its event loop never builds one.
import type { MessagePort } from 'node:worker_threads';
import { FrameCutter, snapshotBody, type SnapshotFormat, type SnapshotState } from '../replication/snapshot.js';
import type { StoreSnapshot } from '../store/object-store.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import { Credit } from './credit.js';

export interface SnapshotTaskInput {
  snapshot: StoreSnapshot;
  state: SnapshotState;
  format: SnapshotFormat;
  port: MessagePort;
}

export interface SnapshotTaskOutput {
  frames: number;
  bytes: number;
  cancelled: boolean;
}

export async function replicationSnapshotTask({ snapshot, state, format, port }: SnapshotTaskInput): Promise<SnapshotTaskOutput> {
  const credit = new Credit(port);
  const reader = new SnapshotReader(snapshot);
  const cutter = new FrameCutter();
  let frames = 0;
  let bytes = 0;
  const send = async (done: Buffer[]) => {
    for (const f of done) {
      await credit.take();
      if (credit.cancelled) return;
      // Every frame owns its ArrayBuffer (FrameCutter), which moves without a copy.
      port.postMessage({ piece: f.buffer, length: f.length }, [f.buffer as ArrayBuffer]);
      frames++;
      bytes += f.length;
    }
  };
  for (const piece of snapshotBody(reader.objects(), reader.count, state, format)) {
    if (credit.cancelled) break;
    const done = cutter.push(piece);
    if (done.length > 0) await send(done);
  }
  if (!credit.cancelled) {
    await send(cutter.end());
    // The main thread closes the channel once it has the end (closing here could overtake the last frames).
    if (!credit.cancelled) port.postMessage({ end: true });
  } else port.close();
  return { frames, bytes, cancelled: credit.cancelled };
}
