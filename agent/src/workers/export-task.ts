// Bundle export in a worker: the bundle header, then a pack of every object of a store snapshot, each deflated here
// (a deflate per object is what made exports stall the event loop), streamed to the main thread in pieces over a
// MessagePort. The main thread grants credit as its HTTP response drains, so a slow client holds at most a few pieces in
// memory; it cancels when the client goes away (the protocol: credit.ts).
import type { MessagePort } from 'node:worker_threads';
import { bundleHeader, type BundleRef } from '../git/bundle.js';
import { PackEncoder } from '../git/pack-writer.js';
import type { StoreSnapshot } from '../store/object-store.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import { Credit } from './credit.js';

export interface ExportTaskInput {
  snapshot: StoreSnapshot;
  refs: BundleRef[];
  port: MessagePort;
}

const PIECE_BYTES = 1 << 20;

export interface ExportTaskOutput {
  objects: number;
  bytes: number;
  cancelled: boolean;
}

export async function exportTask({ snapshot, refs, port }: ExportTaskInput): Promise<ExportTaskOutput> {
  const credit = new Credit(port);
  let bytes = 0;
  const send = async (pieces: Buffer[]) => {
    for (const p of pieces) {
      await credit.take();
      if (credit.cancelled) return;
      // Pack pieces own their ArrayBuffer (1 MiB, never from Buffer's pool) and move without a copy; small buffers
      // (the header, the trailer) may sit in the pool, so they are copied into their own.
      const own: Uint8Array = p.byteOffset === 0 && p.buffer.byteLength >= PIECE_BYTES ? p : new Uint8Array(p);
      port.postMessage({ piece: own.buffer, length: own.length }, [own.buffer as ArrayBuffer]);
      bytes += own.length;
    }
  };
  const reader = new SnapshotReader(snapshot);
  const pack = new PackEncoder(reader.count, PIECE_BYTES);
  await send([bundleHeader(refs)]);
  let n = 0;
  for (const o of reader.records()) {
    if (credit.cancelled) break;
    pack.add(o);
    n++;
    const pieces = pack.take();
    if (pieces.length > 0) await send(pieces);
  }
  // The main thread closes the channel once it has the end (closing here could overtake the last pieces).
  if (!credit.cancelled) {
    await send(pack.finish());
    port.postMessage({ end: true });
  } else port.close();
  return { objects: n, bytes, cancelled: credit.cancelled };
}
