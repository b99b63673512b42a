// Large bodies sent to one replica, main-thread side: a snapshot (the objects — a store snapshot — refs, metadata and
// seq taken at one instant) or one large change of the log. A worker encodes the body and cuts it into frames
// (workers/replication-snapshot-task.ts); each frame goes to the replica's stream as it arrives. Frames are asked for
// as the stream drains (one more per frame it accepts at once, or once it has drained), so a slow replica holds a few
// MiB of the primary's memory. One frame is held back until the next arrives, so the last one is known to be last.
//
// Why stream rather than build every frame in the worker and hand them over at once: the frames are a copy of the
// whole repository (157 MiB for express), which would sit in memory per replica catching up; streamed, the copy never
// exists, and the worker only runs as fast as the replica takes it.
import { MessageChannel } from 'node:worker_threads';
import type { Change, Repository } from '../store/repository.js';
import type { SnapshotTaskInput, SnapshotTaskOutput, StreamBody } from '../workers/replication-snapshot-task.js';
import { runInWorker } from '../workers/pool.js';
import type { SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';
import { changeJson } from './record-body.js';
import { snapshotFrame, snapshotState, type SnapshotFormat } from './snapshot.js';

/** Where frames go: a replica's stream (false from send: its buffer is full, wait for onDrain). */
export interface FrameSink<F> {
  send(frame: F): boolean;
  onDrain(cb: () => void): void;
}

export interface FrameStream {
  /** The seq the replica holds once it has taken every frame (a snapshot's seq, a change's own). */
  readonly seq: number;
  /** Resolves once the last frame was handed to the sink (false when cancelled first); rejects when the worker failed. */
  readonly done: Promise<boolean>;
  /** Stops sending (the replica went away); `done` resolves false. */
  cancel(): void;
}

function streamBody(repo: Repository, body: StreamBody, seq: number, sink: FrameSink<{ bytes: Buffer; last: boolean }>): FrameStream {
  const { port1, port2 } = new MessageChannel();
  const input: SnapshotTaskInput = { snapshot: repo.objects.snapshot(), body, port: port2 };
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
  const send = (bytes: Buffer, last: boolean) => {
    if (sink.send({ bytes, last })) grant();
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
    seq,
    done,
    cancel: () => {
      if (finished) return;
      cancelled = true;
      port1.postMessage({ cancel: true });
      finish(false);
    },
  };
}

/** Streams a snapshot of `repo` as it is now (record or pack frames; the last carries the refs and metadata). */
export function streamSnapshot(repo: Repository, epoch: number, format: SnapshotFormat, sink: FrameSink<SnapshotFrame>): FrameStream {
  const state = snapshotState(repo);
  return streamBody(repo, { kind: 'snapshot', state, format }, state.seq, {
    send: ({ bytes, last }) => sink.send(snapshotFrame(state, epoch, format, bytes, last)),
    onDrain: (cb) => sink.onDrain(cb),
  });
}

/**
 * Streams one change of `repo`'s log, encoded as encodeChange would (its objects read back from the store, where every
 * applied change's objects are), in frames of the change stream's own shape.
 */
export function streamChange(repo: Repository, change: Change, sink: FrameSink<{ bytes: Buffer; last: boolean }>): FrameStream {
  let ids = '';
  for (const o of change.objects) ids += o.id;
  return streamBody(repo, { kind: 'change', header: { seq: change.seq, epoch: change.epoch }, ids, json: changeJson(change) }, change.seq, sink);
}
