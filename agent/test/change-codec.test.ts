// The change record shared by the journal and the replication stream: the journal encodes it behind reserved header
// bytes, which must leave the payload byte-identical to a plain encoding.
import test from 'ava';
import { createHash } from 'node:crypto';
import { writeHexId } from '../src/git/hex.js';
import { hashObject, ObjectType } from '../src/git/objects.js';
import { decodeChange, encodeChange } from '../src/persistence/change-codec.js';
import { Change } from '../src/store/repository.js';

function object(type: ObjectType, text: string) {
  const data = Buffer.from(text, 'utf8');
  return { id: hashObject(type, data), type, data };
}

const change: Change = {
  seq: 7,
  epoch: 3,
  objects: [object('blob', 'héllo\n'), object('tree', ''), object('commit', 'tree x\n\nmsg\n'), object('tag', 'object y\n')],
  refs: [{ name: 'refs/heads/main', old: null, new: 'a'.repeat(40) }, { name: 'refs/tags/ä', old: 'b'.repeat(40), new: null }],
  meta: { defaultBranch: 'trunk', description: 'naïve' },
};

test('a change round-trips, with and without reserved header bytes', (t) => {
  const plain = encodeChange(change);
  t.deepEqual(decodeChange(plain), change);
  const reserved = encodeChange(change, 8);
  t.is(reserved.length, plain.length + 8);
  t.true(reserved.subarray(8).equals(plain));
  const { meta: _meta, ...withoutMeta } = change;
  t.deepEqual(decodeChange(encodeChange(withoutMeta, 3).subarray(3)), withoutMeta);
});

test('an object id that is not 40 hex digits is refused, not written as garbage', (t) => {
  const bad = { ...change, objects: [{ ...change.objects[0], id: 'z'.repeat(40) }] };
  t.throws(() => encodeChange(bad), { message: /not an object id/ });
});

test('writeHexId decodes upper and lower case and rejects anything else', (t) => {
  const out = Buffer.alloc(22);
  const id = createHash('sha1').update('x').digest('hex');
  t.true(writeHexId(id.toUpperCase(), out, 2));
  t.is(out.toString('hex', 2), id);
  for (const bad of [id.slice(1), `${id}0`, `g${id.slice(1)}`, `é${id.slice(1)}`]) t.false(writeHexId(bad, out, 0));
});

test('hashObject equals SHA-1 over git\'s header for sizes around the one-shot limit', (t) => {
  for (const size of [0, 1, 9, 10, 65535, 65536, 65537]) {
    const data = Buffer.alloc(size, 0x61);
    const want = createHash('sha1').update(`blob ${size}\0`).update(data).digest('hex');
    t.is(hashObject('blob', data), want);
  }
});
