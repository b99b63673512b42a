// Snapshots of the object store for worker threads: exactly the objects stored up to the snapshot, however the store
// grows meanwhile (index resizes, insertion log growth, new chunks) and even while another thread reads it; records
// written elsewhere and offered are adopted without a copy.
import test from 'ava';
import { Worker } from 'node:worker_threads';
import { hashObject } from '../src/git/objects.js';
import { Arena, offerChunk, RECORD_HEADER } from '../src/store/arena.js';
import { ObjectStore } from '../src/store/object-store.js';
import { SnapshotReader } from '../src/store/object-snapshot.js';

const blob = (i: number) => Buffer.from(`object ${i} `.repeat(1 + (i % 7)));

test('a snapshot holds exactly the objects stored before it, in insertion order, after the store grows', (t) => {
  const store = new ObjectStore();
  const before: string[] = [];
  for (let i = 0; i < 100; i++) before.push(store.put('blob', blob(i)));
  before.push(store.put('blob', Buffer.alloc(300_000, 1))); // a dedicated chunk
  const snap = store.snapshot();
  const after: string[] = [];
  for (let i = 100; i < 20_000; i++) after.push(store.put('blob', blob(i)));
  after.push(store.put('tree', Buffer.alloc(0)));
  const reader = new SnapshotReader(snap);
  t.is(reader.count, 101);
  for (const id of before) t.is(hashObject('blob', reader.readObject(id)!.data), id);
  for (const id of after) t.false(reader.has(id));
  t.deepEqual([...reader.records()].map((o) => hashObject(o.type, o.data)), before);
  // the store itself sees everything
  t.is(store.size, 20_002);
  t.true(store.has(after[after.length - 1]));
});

test('a worker thread reading a snapshot sees it unchanged while this thread writes 200,000 more objects', async (t) => {
  const store = new ObjectStore();
  const inside: string[] = [];
  for (let i = 0; i < 5000; i++) inside.push(store.put('blob', blob(i)));
  const outside = Array.from({ length: 2000 }, (_, i) => hashObject('blob', blob(5000 + i)));
  const worker = new Worker(new URL('./helpers/snapshot-reader-worker.js', import.meta.url), { workerData: { snapshot: store.snapshot(), inside, outside } });
  const report = new Promise<{ rounds: number; problems: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  for (let i = 5000; i < 205_000; i++) {
    store.put('blob', blob(i));
    if (i % 20_000 === 0) await new Promise((r) => setImmediate(r));
  }
  worker.postMessage('stop');
  const { rounds, problems } = await report;
  await worker.terminate();
  t.true(rounds >= 1);
  t.is(problems, 0);
});

test('records written in an offered arena are adopted in place; anything else is copied', (t) => {
  const arena = new Arena();
  const data = [Buffer.from('small one'), Buffer.alloc(400_000, 2)];
  const views = data.map((d) => {
    const [chunk, offset] = arena.append('blob', d);
    return arena.chunks[chunk - 1].subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + d.length);
  });
  const store = new ObjectStore();
  const memory0 = store.memoryBytes;
  // not offered: copied
  const copiedId = hashObject('blob', views[0]);
  store.putWithId(copiedId, 'blob', views[0]);
  t.not(store.readObject(copiedId)!.data.buffer, views[0].buffer);
  for (const c of arena.chunks) offerChunk(c.buffer as SharedArrayBuffer);
  const other = new ObjectStore();
  const ids = views.map((v) => hashObject('blob', v));
  views.forEach((v, i) => other.putWithId(ids[i], 'blob', v));
  views.forEach((v, i) => {
    const back = other.readObject(ids[i])!;
    t.is(back.data.buffer, v.buffer);
    t.is(back.data.byteOffset, v.byteOffset);
    t.true(back.data.equals(data[i]));
  });
  // the store holds the arena's chunks and nothing more
  t.true(other.memoryBytes - memory0 <= arena.bytes);
  // a view that is not exactly a record's body (wrong type, a slice) is copied, not adopted
  const slice = views[1].subarray(1);
  other.putWithId(hashObject('blob', slice), 'blob', slice);
  t.not(other.readObject(hashObject('blob', slice))!.data.buffer, slice.buffer);
  const asTree = views[0];
  other.putWithId(hashObject('tree', asTree), 'tree', asTree);
  t.not(other.readObject(hashObject('tree', asTree))!.data.buffer, asTree.buffer);
});
