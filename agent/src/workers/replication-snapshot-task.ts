// Replication bodies streamed from a worker: a snapshot (every object of a store snapshot as one change record, or a
// git pack for a replica from before records) or one large change of the log (its objects read back from the store),
// encoded here and cut into frames (replication/snapshot.ts), each sent to the main thread as it is made, with the same
// credit as exports (credit.ts): the main thread grants more as the replica's stream drains, so a primary never holds
// an encoded copy of a whole repository or import, and its event loop never builds one.
import type { MessagePort } from 'node:worker_threads';
import type { StoredObject } from '../store/repository.js';
import { FrameCutter, snapshotBody, type SnapshotFormat, type SnapshotState } from '../replication/snapshot.js';
import { recordBody, type RecordHeader } from '../replication/record-body.js';
import type { StoreSnapshot } from '../store/object-store.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import { Credit } from './credit.js';

/** What to stream: a whole snapshot, or the record of one change whose objects are all in the store snapshot. */
export type StreamBody =
  | { kind: 'snapshot'; state: SnapshotState; format: SnapshotFormat }
  | { kind: 'change'; header: RecordHeader; ids: string; json: string };

export interface SnapshotTaskInput {
  snapshot: StoreSnapshot;
  body: StreamBody;
  port: MessagePort;
}

export interface SnapshotTaskOutput {
  frames: number;
  bytes: number;
  cancelled: boolean;
}

/** The change's objects, in its order, read back from the store. */
function* changeObjects(reader: SnapshotReader, ids: string): Generator<StoredObject> {
  for (let at = 0; at < ids.length; at += 40) {
    const id = ids.slice(at, at + 40);
    const o = reader.readObject(id);
    if (!o) throw new Error(`object ${id} of the change is not in the store`);
    yield { id, type: o.type, data: o.data };
  }
}

function pieces(reader: SnapshotReader, body: StreamBody): Iterable<Buffer> {
  if (body.kind === 'snapshot') return snapshotBody(reader.objects(), reader.count, body.state, body.format);
  return recordBody(body.header, changeObjects(reader, body.ids), body.ids.length / 40, body.json);
}

export async function replicationSnapshotTask({ snapshot, body, port }: SnapshotTaskInput): Promise<SnapshotTaskOutput> {
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
  for (const piece of pieces(reader, body)) {
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
