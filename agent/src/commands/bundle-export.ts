// Bundle export, main-thread side: a worker deflates every object of a snapshot of the repository (workers/export-task.ts)
// and streams the bundle here in pieces; this side turns them into a Readable for the HTTP reply, granting the worker
// credit as the reply drains and cancelling it when the client goes away. The refs and the objects are taken at the
// same instant, so the bundle is consistent whatever is written meanwhile.
import { Readable } from 'node:stream';
import { MessageChannel } from 'node:worker_threads';
import type { BundleRef } from '../git/bundle.js';
import type { Repository } from '../store/repository.js';
import type { ExportTaskInput, ExportTaskOutput } from '../workers/export-task.js';
import { runInWorker } from '../workers/pool.js';

/** Every ref, HEAD first (so `git clone` checks out the default branch). */
export function bundleRefs(repo: Repository): BundleRef[] {
  const refs: BundleRef[] = repo.listRefs().map(([name, id]) => ({ name, id }));
  const head = repo.getRef(repo.headRef);
  if (head) refs.unshift({ name: 'HEAD', id: head });
  return refs;
}

/**
 * Starts exporting `repo` as a v2 bundle of every ref and object. Resolves with the stream once the first piece is
 * there, so a failure before any byte (a worker that died, a full queue) is still an HTTP error and not a cut download.
 */
export function exportBundleStream(repo: Repository): Promise<Readable> {
  const { port1, port2 } = new MessageChannel();
  // The committed state: its refs and only the objects committed changes brought (nothing still pending is exported).
  const input: ExportTaskInput = { snapshot: repo.committedSnapshot(), refs: bundleRefs(repo), port: port2 };
  let started = false;
  return new Promise<Readable>((resolve, reject) => {
    const stream = new Readable({
      // Each read is one more piece the worker may send; the first ones are granted up front (INITIAL_CREDIT).
      read: () => port1.postMessage({ credit: 1 }),
      destroy: (err, done) => {
        port1.postMessage({ cancel: true });
        port1.close();
        done(err);
      },
    });
    port1.on('message', (m: { piece?: ArrayBuffer; length?: number; end?: boolean }) => {
      if (m.piece) {
        stream.push(Buffer.from(m.piece, 0, m.length));
        if (!started) {
          started = true;
          resolve(stream);
        }
      } else if (m.end) {
        stream.push(null);
        port1.close();
      }
    });
    runInWorker<ExportTaskOutput>('exportBundle', input, [port2]).then(
      () => undefined,
      (e: unknown) => {
        if (started) stream.destroy(e as Error);
        else {
          port1.close();
          reject(e);
        }
      },
    );
  });
}
