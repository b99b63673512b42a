// The in-memory object database: lookups by hex id (the hot path of every read), growth, and ids that are not ids.
import test from 'ava';
import { createHash } from 'node:crypto';
import { hashObject } from '../src/git/objects.js';
import { ObjectStore } from '../src/store/object-store.js';

test('objects read back by id across index growth; upper-case hex finds the same object', (t) => {
  const store = new ObjectStore();
  const ids: string[] = [];
  for (let i = 0; i < 5000; i++) ids.push(store.put('blob', Buffer.from(`blob ${i}\n`)));
  t.is(store.size, 5000);
  for (let i = 0; i < 5000; i += 97) {
    const obj = store.readObject(ids[i]);
    t.is(obj?.type, 'blob');
    t.is(obj?.data.toString(), `blob ${i}\n`);
    t.true(store.has(ids[i].toUpperCase()));
  }
  t.is(ids[0], hashObject('blob', Buffer.from('blob 0\n')));
});

test('ids that are not 40 hex digits, or absent ones, find nothing and change nothing', (t) => {
  const store = new ObjectStore();
  const id = store.put('blob', Buffer.from('x'));
  const absent = createHash('sha1').update('absent').digest('hex');
  for (const bad of ['', id.slice(0, 39), id + '0', 'g'.repeat(40), id.slice(0, 38) + 'zz', id.slice(0, 39) + '\u0100', absent]) {
    t.false(store.has(bad), bad);
    t.is(store.readObject(bad), undefined);
  }
  t.throws(() => store.putWithId('not-an-id', 'blob', Buffer.from('y')));
  t.is(store.size, 1);
  t.true(store.has(id));
});

test('idFold is the XOR of every id, whatever the order objects arrived in (anti-entropy compares it)', (t) => {
  const a = new ObjectStore();
  const b = new ObjectStore();
  const blobs = Array.from({ length: 3000 }, (_, i) => Buffer.from(`fold ${i}`));
  for (const x of blobs) a.put('blob', x);
  for (const x of [...blobs].reverse()) b.put('blob', x);
  b.put('blob', blobs[7]); // a duplicate changes nothing
  const expected = Buffer.alloc(20);
  for (const x of blobs) {
    const id = Buffer.from(hashObject('blob', x), 'hex');
    for (let i = 0; i < 20; i++) expected[i] ^= id[i];
  }
  t.true(a.idFold.equals(expected));
  t.true(b.idFold.equals(expected));
  a.put('blob', Buffer.from('one more'));
  t.false(a.idFold.equals(expected));
});

test('a large index grows incrementally: every object is found before, during and after the growth, and snapshots taken meanwhile read right', async (t) => {
  const { SnapshotReader } = await import('../src/store/object-snapshot.js');
  const store = new ObjectStore();
  const ids: string[] = [];
  const snapshots: { reader: InstanceType<typeof SnapshotReader>; count: number }[] = [];
  // Past 65,536 objects the index stops rehashing at once; 300,000 objects take it through several incremental growths.
  for (let i = 0; i < 300_000; i++) {
    ids.push(store.put('blob', Buffer.from(`b${i}`)));
    if (i % 50_000 === 49_999 || i === 120_000) snapshots.push({ reader: new SnapshotReader(store.snapshot()), count: i + 1 });
    // Everything stored so far is found, whatever stage the growth is at.
    if (i % 9973 === 0) for (let j = 0; j <= i; j += 997) t.true(store.has(ids[j]), `object ${j} after ${i + 1}`);
  }
  t.is(store.size, 300_000);
  for (let i = 0; i < ids.length; i++) if (!store.has(ids[i])) t.fail(`object ${i} lost`);
  t.is([...store.ids()].length, 300_000);
  t.is(store.readObject(ids[123_456])?.data.toString(), 'b123456');
  for (const { reader, count } of snapshots) {
    t.is(reader.count, count);
    t.true(reader.has(ids[count - 1]));
    if (count < ids.length) t.false(reader.has(ids[count]), 'nothing stored after the snapshot');
    t.is(reader.readObject(ids[Math.floor(count / 2)])?.data.toString(), `b${Math.floor(count / 2)}`);
  }
  const size = store.memoryBytes;
  store.reserve(1_000_000);
  t.is(store.memoryBytes, size, 'a large index is not rehashed at once for a reservation');
});
