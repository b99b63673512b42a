// Snapshots and large changes streamed to a replica from a worker (replication/snapshot-stream.ts): the frames are
// byte for byte those built at once on the main thread (record and pack), a large change's frames are encodeChange's
// bytes, the worker runs only as far ahead as the replica's stream takes frames, and a cancelled stream stops the worker.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createCommit } from '../src/commands/commit.js';
import { encodeChange } from '../src/persistence/change-codec.js';
import { changeJson, recordBody } from '../src/replication/record-body.js';
import { FRAME_BYTES, snapshotChange, snapshotFrames } from '../src/replication/snapshot.js';
import { streamChange, streamSnapshot, type FrameSink } from '../src/replication/snapshot-stream.js';
import { Repository } from '../src/store/repository.js';
import { INITIAL_CREDIT } from '../src/workers/credit.js';
import { closeWorkers, workerPool } from '../src/workers/pool.js';
import type { SnapshotFrame } from '../../proto/gen/govc/v1/replication.js';

const who = { name: 'T', email: 't@example.com', timestamp: 1_700_000_000, timezone: '+0000' };

test.after.always(() => closeWorkers());

function sampleRepo(bigBlobs = 3): Repository {
  const repo = new Repository({ name: 'r', description: 'd', defaultBranch: 'main', createdAt: '2026-01-01T00:00:00.000Z' });
  for (let i = 0; i < 30; i++) {
    const files = [{ path: `f/${i % 5}.txt`, content: Buffer.from(`line ${i}\n`), mode: '100644' as const }];
    // blobs larger than a frame (incompressible): the body spans frames
    if (i < bigBlobs) files.push({ path: `big${i}.bin`, content: randomBytes(FRAME_BYTES + 12_345 * (i + 1)), mode: '100644' as const });
    createCommit(repo, { branch: i % 2 ? 'main' : 'dev', message: `c${i}`, author: who, committer: who, files, deletes: [] });
  }
  repo.epoch = 3;
  return repo;
}

/** A sink that takes frames while `open()` says so, and reports when it drains. */
function sink<F>(open: () => boolean = () => true) {
  const frames: F[] = [];
  const drains: (() => void)[] = [];
  const s: FrameSink<F> & { frames: F[]; drain(): void } = {
    frames,
    send: (f) => {
      frames.push(f);
      return open();
    },
    onDrain: (cb) => drains.push(cb),
    drain: () => drains.splice(0).forEach((cb) => cb()),
  };
  return s;
}

for (const format of ['record', 'pack'] as const) {
  test(`a streamed ${format} snapshot is frame for frame the one built at once, and installs the same repository`, async (t) => {
    const repo = sampleRepo();
    const expected = snapshotFrames(repo, 9, format);
    const size = repo.objects.size;
    const s = sink<SnapshotFrame>();
    const stream = streamSnapshot(repo, 9, format, s);
    // writes after the snapshot started are not in it
    createCommit(repo, { branch: 'main', message: 'later', author: who, committer: who, files: [{ path: 'later', content: Buffer.from('x'), mode: '100644' }], deletes: [] });
    t.true(await stream.done);
    t.is(stream.seq, repo.seq - 1);
    t.is(s.frames.length, expected.length);
    t.true(expected.length >= 4);
    t.deepEqual(s.frames, expected);
    const copy = new Repository({ name: 'r', description: '', defaultBranch: 'x', createdAt: '' });
    copy.applyRecorded(snapshotChange(s.frames));
    t.is(copy.seq, repo.seq - 1);
    t.is(copy.objects.size, size);
  });
}

test('the record of a change, built in pieces, is encodeChange\'s bytes', (t) => {
  const repo = sampleRepo(1);
  const change = { seq: 7, epoch: 2, objects: [...repo.objects.objects()], refs: [{ name: 'refs/heads/x', old: null, new: repo.getRef('refs/heads/main')! }], meta: { description: 'é' } };
  const pieces = [...recordBody(change, change.objects, change.objects.length, changeJson(change))];
  t.true(Buffer.concat(pieces).equals(encodeChange(change)));
  const noMeta = { ...change, meta: undefined };
  t.true(Buffer.concat([...recordBody(noMeta, [], 0, changeJson(noMeta))]).equals(encodeChange({ ...noMeta, objects: [] })));
});

test('a large change streams as encodeChange\'s bytes, its objects read back from the store', async (t) => {
  const repo = sampleRepo(5);
  const big = createCommit(repo, {
    branch: 'main', message: 'big', author: who, committer: who, deletes: [],
    files: Array.from({ length: 4 }, (_, i) => ({ path: `huge/${i}`, content: randomBytes(FRAME_BYTES * 2 + i), mode: '100644' as const })),
  });
  t.truthy(big);
  const last = { seq: repo.seq, epoch: repo.lastEpoch, objects: [...repo.objects.objects()].slice(0, 40), refs: [], meta: undefined };
  const s = sink<{ bytes: Buffer; last: boolean }>();
  const stream = streamChange(repo, last, s);
  t.true(await stream.done);
  t.is(stream.seq, last.seq);
  t.deepEqual(s.frames.map((f) => f.last), [...s.frames.slice(1).map(() => false), true]);
  t.true(s.frames.slice(0, -1).every((f) => f.bytes.length === FRAME_BYTES));
  t.true(Buffer.concat(s.frames.map((f) => f.bytes)).equals(encodeChange(last)));
});

test('the worker runs only as far ahead as the replica takes frames; a cancelled stream stops it', async (t) => {
  const repo = sampleRepo(12);
  const total = snapshotFrames(repo, 1).length;
  t.true(total > 12);
  let open = false;
  const s = sink<SnapshotFrame>(() => open);
  const stream = streamSnapshot(repo, 1, 'record', s);
  // held back: nothing is granted past the initial credit while the stream stays full (one frame is held back);
  // the worker's first frame comes once its thread started (seconds on a loaded machine), then it has time to overrun
  const firstBy = Date.now() + 60_000;
  while (s.frames.length === 0 && Date.now() < firstBy) await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 500));
  t.true(s.frames.length <= INITIAL_CREDIT, `${s.frames.length} frames taken while the stream was full`);
  t.true(s.frames.length >= 1);
  // draining lets it go on
  open = true;
  s.drain();
  t.true(await stream.done);
  t.is(s.frames.length, total);

  const completed = workerPool('streams').completed;
  open = false;
  const s2 = sink<SnapshotFrame>(() => open);
  const stopped = streamSnapshot(repo, 1, 'record', s2);
  await new Promise((r) => setTimeout(r, 300));
  stopped.cancel();
  t.false(await stopped.done);
  const deadline = Date.now() + 5000;
  while (workerPool('streams').completed === completed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  t.is(workerPool('streams').completed, completed + 1, 'the worker task ended');
  t.true(s2.frames.length < total);
});
