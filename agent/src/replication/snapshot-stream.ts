// A snapshot sent to one replica, main-thread side: the objects (a store snapshot), refs, metadata and seq are taken at
// one instant, a worker encodes the body and cuts it into frames (workers/replication-snapshot-task.ts), and each frame
// goes to the replica's stream as it arrives. Frames are asked for as the stream drains (one more per frame it accepts
// at once, or once it has drained), so a slow replica holds a few MiB of the primary's memory, not a copy of the
// repository. The last frame carries the refs and metadata; one frame is held back until the next arrives, so the
// last one is known to be last.
//
// Why stream rather than build every frame in the worker and hand them over at once: the frames are a copy of the
// whole repository (157 MiB for express), which would sit in memory per replica catching up; streamed, the copy never
// exists, and the worker only runs as fast as the replica takes it.
import { MessageChannel } from 'node:worker_threads';
import type { Repository } from '../store/repository.js';
import type { SnapshotTaskInput, SnapshotTaskOutput } from '../workers/replication-snapshot-task.js';
import { runInWorker } from '../workers/pool.js';
import type { SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';
import { snapshotFrame, snapshotState, type SnapshotFormat } from './snapshot.js';

/** Where the frames go: a replica's stream (false from send: its buffer is full, wait for onDrain). */
export interface FrameSink {
  send(frame: SnapshotFrame): boolean;
  onDrain(cb: () => void): void;
}

export interface SnapshotStream {
  /** The seq the snapshot stands for: what the replica holds once it has installed it. */
  readonly seq: number;
  /** Resolves once the last frame was handed to the sink (false when cancelled first); rejects when the worker failed. */
  readonly done: Promise<boolean>;
  /** Stops sending (the replica went away); `done` resolves false. */
  cancel(): void;
}

export function streamSnapshot(repo: Repository, epoch: number, format: SnapshotFormat, sink: FrameSink): SnapshotStream {
  const state = snapshotState(repo);
  const { port1, port2 } = new MessageChannel();
  const input: SnapshotTaskInput = { snapshot: repo.objects.snapshot(), state, format, port: port2 };
  let held: Buffer | undefined;
  let finished = false;
  let cancelled = false;
  let settle!: (sent: boolean) => void;
  let fail!: (e: unknown) => void;
  const done = new Promise<boolean>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  const grant = () => {
    if (!finished) port1.postMessage({ credit: 1 });
  };
  const send = (body: Buffer, last: boolean) => {
    if (sink.send(snapshotFrame(state, epoch, format, body, last))) grant();
    else sink.onDrain(grant);
  };
  const finish = (sent: boolean) => {
    if (finished) return;
    finished = true;
    port1.close();
    settle(sent);
  };
  port1.on('message', (m: { piece?: ArrayBuffer; length?: number; end?: boolean }) => {
    if (finished) return;
    if (m.piece) {
      if (held) send(held, false);
      held = Buffer.from(m.piece, 0, m.length);
    } else if (m.end) {
      if (held) send(held, true);
      held = undefined;
      finish(true);
    }
  });
  runInWorker<SnapshotTaskOutput>('replicationSnapshot', input, [port2]).then(
    () => {
      // Cancelled, or the end message is still on its way (it was posted before the task returned).
      if (cancelled) finish(false);
    },
    (e: unknown) => {
      if (finished) return;
      finished = true;
      port1.close();
      fail(e);
    },
  );
  return {
    seq: state.seq,
    done,
    cancel: () => {
      if (finished) return;
      cancelled = true;
      port1.postMessage({ cancel: true });
      finish(false);
    },
  };
}
