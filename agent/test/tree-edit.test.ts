// editTree (raw byte splicing) must produce exactly what decoding, editing and re-encoding produces — which the objects
// tests tie to git's own ordering.
import test from 'ava';
import { decodeTree, encodeTree, FileMode, TreeEntry } from '../src/git/objects.js';
import { editTree, TreeEdits } from '../src/git/tree-edit.js';

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return x / 2 ** 32;
  };
}

const NAMES = ['a', 'a.b', 'a-b', 'a0', 'ab', 'b', 'B', 'z', 'ä', 'a/'.slice(0, 1) + 'x', 'foo', 'foo.txt', 'foo-bar', 'é', '日本'];
const MODES: FileMode[] = ['100644', '100755', '120000', '40000'];

function reference(entries: TreeEntry[], edits: TreeEdits): Buffer {
  const byName = new Map(entries.map((e) => [e.name, e]));
  for (const [name, e] of edits) {
    if (e) byName.set(name, { name, ...e });
    else byName.delete(name);
  }
  return encodeTree([...byName.values()]);
}

test('random edits (replace, delete, insert, file<->directory) match decode+encode', (t) => {
  const r = rng(42);
  const id = () => Array.from({ length: 40 }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  for (let round = 0; round < 2000; round++) {
    const entries: TreeEntry[] = NAMES.filter(() => r() < 0.5).map((name) => ({ name, mode: MODES[Math.floor(r() * 4)], id: id() }));
    const data = encodeTree(entries);
    const edits: TreeEdits = new Map();
    for (const name of NAMES) {
      const roll = r();
      if (roll < 0.15) edits.set(name, null);
      else if (roll < 0.4) edits.set(name, { mode: MODES[Math.floor(r() * 4)], id: id() });
    }
    // Deleting a name that is not there is the caller's error to report; here only existing names are deleted.
    for (const [name, e] of edits) if (e === null && !entries.some((x) => x.name === name)) edits.delete(name);
    const got = editTree(data, edits);
    const want = reference(entries, edits);
    if (!got.equals(want)) {
      t.fail(`round ${round}: ${JSON.stringify(decodeTree(got).map((e) => e.name))} != ${JSON.stringify(decodeTree(want).map((e) => e.name))}`);
      return;
    }
  }
  t.pass();
});

test('editing an empty tree inserts in order; deleting everything leaves an empty tree', (t) => {
  const id = 'a'.repeat(40);
  const data = editTree(Buffer.alloc(0), new Map([['b', { mode: '100644', id }], ['a', { mode: '40000', id }], ['a.c', { mode: '100644', id }]]));
  t.deepEqual(decodeTree(data).map((e) => e.name), ['a.c', 'a', 'b']);
  t.is(editTree(data, new Map([['a', null], ['b', null], ['a.c', null]])).length, 0);
});
