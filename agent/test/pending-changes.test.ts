// The repository's commit point without servers: readers see the committed refs, metadata, seq and object count,
// writers the newest (pending changes on top); commitThrough moves the point in order, a quarantine stops it; the
// journal's gathered pieces are the codec's bytes, and their checksum is the record's; link order and import chunks.
import test from 'ava';
import fc from 'fast-check';
import { crc32 } from 'node:zlib';
import { decodeChange, encodeChange, encodeChangePieces } from '../src/persistence/change-codec.js';
import { sealPieces } from '../src/persistence/journal-writer.js';
import { RECORD_HEADER, sealRecord } from '../src/persistence/record-reader.js';
import { linkOrder } from '../src/git/link-order.js';
import { encodeCommit, encodeTree, hashObject, MODE_TREE, type ObjectType } from '../src/git/objects.js';
import { importChunks } from '../src/store/import-chunks.js';
import { Repository, type StoredObject } from '../src/store/repository.js';

function object(type: ObjectType, data: Buffer | string): StoredObject {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return { id: hashObject(type, buf), type, data: buf };
}

const blobA = object('blob', 'a');
const blobB = object('blob', 'b');

function tracked(): Repository {
  const repo = new Repository({ name: 'p', description: '', defaultBranch: 'main', createdAt: '' });
  repo.trackDurability(0);
  return repo;
}

test('pending changes are the writers\' only: refs, listings, metadata, seq and object count move at the commit point', (t) => {
  const repo = tracked();
  const commits: number[] = [];
  repo.onCommit((seq) => commits.push(seq));
  const c1 = repo.apply([blobA], [{ name: 'refs/tags/a', old: null, new: blobA.id }]);
  const c2 = repo.apply([blobB], [{ name: 'refs/tags/b', old: null, new: blobB.id }, { name: 'refs/tags/a', old: blobA.id, new: null }], { defaultBranch: 'trunk' });
  t.is(repo.seq, 2);
  t.is(repo.committedSeq, 0);
  t.is(repo.getRef('refs/tags/a'), undefined);
  t.deepEqual(repo.listRefs(), []);
  t.is(repo.meta.defaultBranch, 'main');
  t.is(repo.headRef, 'refs/heads/main');
  t.is(repo.committedObjectCount, 0);
  t.is(repo.committedSnapshot().count, 0);
  t.true(repo.objects.has(blobB.id), 'objects enter the store at once');
  // Writers: the newest state.
  t.deepEqual(repo.newest.listRefs(), [['refs/tags/b', blobB.id]]);
  t.is(repo.newest.getRef('refs/tags/a'), undefined);
  t.is(repo.newest.meta.defaultBranch, 'trunk');
  t.is(repo.newest.headRef, 'refs/heads/trunk');
  // Compare-and-swap against the newest: a ref a pending change created exists, one it deleted does not.
  t.throws(() => repo.apply([], [{ name: 'refs/tags/b', old: null, new: blobA.id }]), { message: /is at/ });
  t.throws(() => repo.apply([], [{ name: 'refs/tags/a', old: blobA.id, new: null }]), { message: /is at nothing/ });

  repo.markDurable(c1.seq);
  t.is(repo.committedSeq, 1);
  t.deepEqual(repo.listRefs(), [['refs/tags/a', blobA.id]]);
  t.is(repo.committedObjectCount, 1);
  t.is(repo.meta.defaultBranch, 'main');
  repo.markDurable(c2.seq);
  t.deepEqual(repo.listRefs(), [['refs/tags/b', blobB.id]]);
  t.is(repo.meta.defaultBranch, 'trunk');
  t.is(repo.committedObjectCount, 2);
  t.is(repo.pendingChanges, 0);
  t.deepEqual(commits, [1, 2]);
});

test('a ref set by two pending changes shows the later one to writers until both are committed', (t) => {
  const repo = tracked();
  repo.apply([blobA], [{ name: 'refs/tags/x', old: null, new: blobA.id }]);
  repo.apply([blobB], [{ name: 'refs/tags/x', old: blobA.id, new: blobB.id }]);
  repo.commitThrough(1);
  t.is(repo.getRef('refs/tags/x'), blobA.id);
  t.is(repo.newest.getRef('refs/tags/x'), blobB.id, 'the overlay keeps the later value when the earlier one commits');
  repo.commitThrough(2);
  t.is(repo.getRef('refs/tags/x'), blobB.id);
  t.is(repo.newest.getRef('refs/tags/x'), blobB.id);
});

test('waiters: afterCommitted fires once the point reaches the seq, fails on quarantine; nothing commits after it', (t) => {
  const repo = tracked();
  repo.apply([blobA], [{ name: 'refs/tags/a', old: null, new: blobA.id }]);
  repo.apply([blobB], []);
  const seen: string[] = [];
  t.true(repo.afterCommitted(1, (e) => seen.push(`1:${e ? 'err' : 'ok'}`)));
  t.true(repo.afterCommitted(2, (e) => seen.push(`2:${e ? 'err' : 'ok'}`)));
  repo.markDurable(1);
  t.deepEqual(seen, ['1:ok']);
  repo.markDamaged('journal sync failed: EIO');
  t.deepEqual(seen, ['1:ok', '2:err']);
  repo.markDurable(2);
  t.is(repo.committedSeq, 1, 'a quarantined repository commits nothing more');
  t.false(repo.afterCommitted(1, () => t.fail()));
});

test('without durability tracking (memory only) a change is committed as it is applied', (t) => {
  const repo = new Repository({ name: 'm', description: '', defaultBranch: 'main', createdAt: '' });
  const commits: number[] = [];
  repo.onCommit((s) => commits.push(s));
  repo.apply([blobA], [{ name: 'refs/tags/a', old: null, new: blobA.id }]);
  t.is(repo.committedSeq, 1);
  t.is(repo.getRef('refs/tags/a'), blobA.id);
  t.deepEqual(commits, [1]);
});

test('replay (journal load) commits at once and refuses to go under pending changes', (t) => {
  const repo = tracked();
  repo.replay({ seq: 5, epoch: 2, objects: [blobA], refs: [{ name: 'refs/tags/a', old: null, new: blobA.id }] });
  t.is(repo.committedSeq, 5);
  t.is(repo.committedEpoch, 2);
  t.is(repo.getRef('refs/tags/a'), blobA.id);
  repo.apply([], [{ name: 'refs/tags/a', old: blobA.id, new: null }]);
  t.throws(() => repo.replay({ seq: 7, epoch: 0, objects: [], refs: [] }), { message: /pending/ });
});

const arbitraryChange = fc.record({
  seq: fc.nat(1e9),
  epoch: fc.nat(100),
  objects: fc.array(fc.tuple(fc.constantFrom<ObjectType>('blob', 'tree', 'commit', 'tag'), fc.uint8Array({ maxLength: 300 }), fc.boolean()), { maxLength: 6 }),
});

test('gathered pieces are the codec\'s bytes, and the checksum computed over them incrementally is the record\'s', async (t) => {
  await fc.assert(fc.asyncProperty(arbitraryChange, async ({ seq, epoch, objects }) => {
    // Some objects past the gathering threshold (given small here), so both kinds of piece occur.
    const change = { seq, epoch, objects: objects.map(([type, bytes, big]) => object(type, Buffer.concat([Buffer.from(bytes), Buffer.alloc(big ? 64 : 0, 1)]))), refs: [{ name: 'refs/heads/main', old: null, new: 'a'.repeat(40) }] };
    const whole = sealRecord(encodeChange(change, RECORD_HEADER));
    const { pieces, length } = encodeChangePieces(change, RECORD_HEADER, 64);
    t.is(length, whole.length);
    await sealPieces({ seq, pieces, length });
    const joined = Buffer.concat(pieces);
    t.true(joined.equals(whole));
    t.deepEqual(decodeChange(joined.subarray(RECORD_HEADER)), change);
    for (const o of change.objects) if (o.data.length >= 64) t.true(pieces.includes(o.data), 'a large object is its own piece, uncopied');
  }), { numRuns: 200 });
});

test('the checksum of a record larger than a slice is computed across turns and is the plain CRC', async (t) => {
  const big = Buffer.alloc(9 * 2 ** 20 + 17);
  for (let i = 0; i < big.length; i += 4099) big[i] = i & 0xff;
  const change = { seq: 1, epoch: 0, objects: [object('blob', big)], refs: [] };
  const { pieces, length } = encodeChangePieces(change, RECORD_HEADER);
  await sealPieces({ seq: 1, pieces, length });
  const joined = Buffer.concat(pieces);
  t.is(joined.readUInt32LE(4), crc32(joined.subarray(RECORD_HEADER)));
});

test('link order: every object comes after what it links to, gitlinks and outside objects ignored', (t) => {
  const blob = object('blob', 'x');
  const sub = object('tree', encodeTree([{ mode: '100644', name: 'x', id: blob.id }, { mode: '160000', name: 'm', id: 'f'.repeat(40) }]));
  const root = object('tree', encodeTree([{ mode: MODE_TREE, name: 's', id: sub.id }, { mode: '100644', name: 'y', id: 'e'.repeat(40) }]));
  const who = { name: 'A', email: 'a@x', timestamp: 1, timezone: '+0000' };
  const c1 = object('commit', encodeCommit({ tree: root.id, parents: [], author: who, committer: who, extraHeaders: [], message: 'one\n' }));
  const c2 = object('commit', encodeCommit({ tree: root.id, parents: [c1.id], author: who, committer: who, extraHeaders: [], message: 'two\n' }));
  const tag = object('tag', Buffer.from(`object ${c2.id}\ntype commit\ntag v\ntagger A <a@x> 1 +0000\n\nv\n`));
  const all = [tag, c2, c1, root, sub, blob];
  const order = [...linkOrder({ count: all.length, key: (i) => Buffer.from(all[i].id, 'hex'), type: (i) => all[i].type, data: (i) => all[i].data })];
  t.deepEqual([...order].sort(), [0, 1, 2, 3, 4, 5]);
  const pos = (o: StoredObject) => order.indexOf(all.indexOf(o));
  for (const [later, earlier] of [[tag, c2], [c2, c1], [c2, root], [c1, root], [root, sub], [sub, blob]] as const) t.true(pos(later) > pos(earlier));
});

test('import chunks: bounded by objects and bytes, in order, covering everything; an oversized object alone', (t) => {
  fc.assert(fc.property(fc.array(fc.nat(100), { maxLength: 200 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 300 }), (lengths, objects, bytes) => {
    const chunks = importChunks(lengths, { objects, bytes });
    t.true(chunks.length >= 1);
    let at = 0;
    for (const [s, e] of chunks) {
      t.is(s, at);
      t.true(e > s || lengths.length === 0);
      t.true(e - s <= objects);
      const sum = lengths.slice(s, e).reduce((a, b) => a + b, 0);
      t.true(sum <= bytes || e - s === 1);
      at = e;
    }
    t.is(at, lengths.length);
  }), { numRuns: 300 });
});
