// Pure decisions behind the limits, without servers: tree shape (depth, path bytes) against git's own notion of depth,
// the linear base64 check against the regex it replaces, pathLimitProblem, the limits read from the environment, and
// readPack's limit errors (which limit, before what is over it is allocated).
import test from 'ava';
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { base64DecodedLength, decodeBase64 } from '../src/base64.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { encodeTree, hashObject, type GitObject, type ObjectId, type TreeEntry } from '../src/git/objects.js';
import { PackLimitError, readPack } from '../src/git/pack-reader.js';
import { encodeEntryHeader, writePack } from '../src/git/pack-writer.js';
import { pathLimitProblem, TreeLimitError, TreeShapes } from '../src/git/tree-shape.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import { git, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

class Objects {
  readonly map = new Map<ObjectId, GitObject>();
  put(type: GitObject['type'], data: Buffer): ObjectId {
    const id = hashObject(type, data);
    this.map.set(id, { type, data });
    return id;
  }
  readObject = (id: ObjectId) => this.map.get(id);
  tree(entries: TreeEntry[]): ObjectId {
    return this.put('tree', encodeTree(entries));
  }
}

/** A chain of `depth` trees, each holding the next under `name`, the innermost holding one file: paths of depth+1 parts. */
function chain(objects: Objects, depth: number, name = 'd'): ObjectId {
  let id = objects.tree([{ mode: '100644', name: 'f', id: objects.put('blob', Buffer.from('x')) }]);
  for (let i = 0; i < depth; i++) id = objects.tree([{ mode: '40000', name, id }]);
  return id;
}

const limits = { maxTreeDepth: 10, maxPathBytes: 100 };

test('tree shape: depth counts path components like core.maxTreeDepth ("a/b/cde/f" is 4)', (t) => {
  const objects = new Objects();
  // 9 nested trees + the file = paths of 10 components: at the limit
  t.notThrows(() => new TreeShapes(objects, limits).check(chain(objects, 9)));
  const err = t.throws(() => new TreeShapes(objects, limits).check(chain(objects, 10)), { instanceOf: TreeLimitError });
  t.is(err?.limit, 'depth');
  // an empty tree at the bottom still counts as a component
  const empty = objects.tree([]);
  let id = empty;
  for (let i = 0; i < 10; i++) id = objects.tree([{ mode: '40000', name: 'e', id }]);
  t.notThrows(() => new TreeShapes(objects, limits).check(id));
  id = objects.tree([{ mode: '40000', name: 'e', id }]);
  t.is(t.throws(() => new TreeShapes(objects, limits).check(id), { instanceOf: TreeLimitError })?.limit, 'depth');
});

test('tree shape: path bytes count UTF-8 bytes and the slashes', (t) => {
  const objects = new Objects();
  const blob = objects.put('blob', Buffer.from('x'));
  // "あ" is 3 bytes: two directories of 30 bytes, two slashes and a 10-byte name make 72 bytes; an 11-byte name, 73
  const name = 'あ'.repeat(10);
  const limits = { maxTreeDepth: 10, maxPathBytes: 72 };
  const nest = (n: string, leaf: string) => objects.tree([{ mode: '40000', name: n, id: objects.tree([{ mode: '40000', name: n, id: objects.tree([{ mode: '100644', name: leaf, id: blob }]) }]) }]);
  t.notThrows(() => new TreeShapes(objects, limits).check(nest(name, 'f'.repeat(10))));
  const err = t.throws(() => new TreeShapes(objects, limits).check(nest(name, 'f'.repeat(11))), { instanceOf: TreeLimitError });
  t.is(err?.limit, 'path');
});

test('tree shape: shared subtrees are walked once, and a remembered subtree still counts under a deeper parent', (t) => {
  const objects = new Objects();
  const inner = chain(objects, 5); // paths of 6 components
  const shapes = new TreeShapes(objects, limits);
  shapes.check(inner);
  // wide: 1000 entries naming the same subtree; deep: the remembered subtree under 4 more levels (10 components, fine) and 5 (11)
  const wide = objects.tree(Array.from({ length: 1000 }, (_, i) => ({ mode: '40000' as const, name: `n${i}`, id: inner })));
  t.notThrows(() => shapes.check(wide));
  let deep = inner;
  for (let i = 0; i < 4; i++) deep = objects.tree([{ mode: '40000', name: 'p', id: deep }]);
  t.notThrows(() => shapes.check(deep));
  deep = objects.tree([{ mode: '40000', name: 'p', id: deep }]);
  t.is(t.throws(() => shapes.check(deep), { instanceOf: TreeLimitError })?.limit, 'depth');
});

test('tree shape: a tree nested 100,000 levels deep is refused at the limit without recursion', (t) => {
  const objects = new Objects();
  const root = chain(objects, 100_000);
  const started = Date.now();
  t.is(t.throws(() => new TreeShapes(objects, DEFAULT_LIMITS).check(root), { instanceOf: TreeLimitError })?.limit, 'depth');
  t.true(Date.now() - started < 5000);
});

test('tree shape: git agrees on what a depth means (a path git lists with N components is depth N)', (t) => {
  const dir = makeTempRepo();
  try {
    const objects = new Objects();
    const root = chain(objects, 4); // d/d/d/d/f
    const commit = Buffer.from(`tree ${root}\nauthor A <a@x> 0 +0000\ncommitter A <a@x> 0 +0000\n\nm\n`);
    const all = [...objects.map.values()];
    git(['index-pack', '--stdin', '--fix-thin'], { cwd: dir, input: writePack([...all, { type: 'commit', data: commit }]) });
    const paths = git(['ls-tree', '-r', '--name-only', root], { cwd: dir }).toString().trim();
    t.is(paths, 'd/d/d/d/f');
    t.notThrows(() => new TreeShapes(objects, { maxTreeDepth: paths.split('/').length, maxPathBytes: 4096 }).check(root));
    t.throws(() => new TreeShapes(objects, { maxTreeDepth: paths.split('/').length - 1, maxPathBytes: 4096 }).check(root));
  } finally {
    removeTempDir(dir);
  }
});

test('pathLimitProblem: bytes and components of a REST path', (t) => {
  t.is(pathLimitProblem('a/b/c', limits), undefined);
  t.is(pathLimitProblem('a/'.repeat(9) + 'f', limits), undefined);
  t.is(pathLimitProblem('a/'.repeat(10) + 'f', limits)?.[0], 'tree_too_deep');
  t.is(pathLimitProblem('x'.repeat(100), limits), undefined);
  t.is(pathLimitProblem('x'.repeat(101), limits)?.[0], 'path_too_long');
  t.is(pathLimitProblem('あ'.repeat(34), limits)?.[0], 'path_too_long'); // 34 characters, 102 bytes
});

// ---------------------------------------------------------------- base64

const REGEX = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

test('base64: the linear check agrees with the regex it replaces', (t) => {
  const cases = ['', 'QQ==', 'QUI=', 'QUJD', 'QR==', 'Q===', 'QQ=', 'QQ', 'Q', '=QQ=', 'QQ==QQ==', 'QU I=', 'QUJD\n', 'QUJ-', 'QUJ_', 'é===',
    'AAAA'.repeat(100) + 'AA==', '+/+/', '////', 'QUJD=', 'QUJDQQ=='];
  for (const s of cases) t.is(base64DecodedLength(s) >= 0, REGEX.test(s), JSON.stringify(s));
  for (let i = 0; i < 300; i++) {
    const bytes = Buffer.from(Array.from({ length: i % 17 }, (_, k) => (k * 37 + i) & 0xff));
    const s = bytes.toString('base64');
    t.is(base64DecodedLength(s), bytes.length);
    t.true(decodeBase64(s)!.equals(bytes));
  }
});

test('base64: 64 MiB of content is checked in linear time, no stack overflow (the regex overflowed at ~3 MB)', (t) => {
  const s = Buffer.alloc(48 * 2 ** 20, 7).toString('base64');
  t.is(base64DecodedLength(s), 48 * 2 ** 20);
  t.is(base64DecodedLength(s.slice(0, -4) + 'AA=A'), -1);
  t.is(decodeBase64(s.slice(0, -1) + '*'), undefined);
});

// ---------------------------------------------------------------- configuration

test('config: limits from the environment, with safe defaults, refusing nonsense', (t) => {
  t.deepEqual(loadConfig({}).limits, DEFAULT_LIMITS);
  t.deepEqual(loadConfig({
    GOVC_MAX_OBJECT_BYTES: '1MiB', GOVC_MAX_IMPORT_BYTES: '3GiB', GOVC_MAX_IMPORT_OBJECTS: '500', GOVC_MAX_TREE_DEPTH: '64', GOVC_MAX_PATH_BYTES: '1024',
  }).limits, { maxObjectBytes: 2 ** 20, maxImportBytes: 3 * 2 ** 30, maxImportObjects: 500, maxTreeDepth: 64, maxPathBytes: 1024 });
  for (const [k, v] of [['GOVC_MAX_OBJECT_BYTES', 'lots'], ['GOVC_MAX_IMPORT_OBJECTS', '-1'], ['GOVC_MAX_TREE_DEPTH', '0'], ['GOVC_MAX_PATH_BYTES', '1.5'], ['GOVC_WORKER_THREADS', 'x']]) {
    t.throws(() => loadConfig({ [k]: v }), { instanceOf: ConfigError }, k);
  }
  t.is(loadConfig({ GOVC_WORKER_THREADS: '3' }).workerThreads, 3);
  t.true(loadConfig({}).workerThreads >= 2);
});

// ---------------------------------------------------------------- readPack limits

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** A pack of raw entries: [type code, declared size, payload (deflated here), REF_DELTA base id]. */
function rawPack(entries: { code: number; data: Buffer; size?: number; baseId?: ObjectId }[]): Buffer {
  const parts: Buffer[] = [Buffer.from('PACK\0\0\0\x02', 'latin1'), Buffer.from([0, 0, 0, 0])];
  parts[1].writeUInt32BE(entries.length);
  for (const e of entries) {
    parts.push(encodeEntryHeader(e.code, e.size ?? e.data.length));
    if (e.baseId) parts.push(Buffer.from(e.baseId, 'hex'));
    parts.push(deflateSync(e.data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

function limitOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof PackLimitError ? e.limit : `not a limit: ${(e as Error).message}`;
  }
  return undefined;
}

test('readPack limits: which limit, before the bytes over it exist', (t) => {
  const blob = { code: 3, data: Buffer.alloc(1000, 'x') };
  t.is(limitOf(() => readPack(rawPack([blob, blob, blob]), undefined, { maxObjects: 2 })), 'count');
  t.is(limitOf(() => readPack(rawPack([blob, blob, blob]), undefined, { maxObjects: 3 })), undefined);
  t.is(limitOf(() => readPack(rawPack([blob]), undefined, { maxObjectSize: 999 })), 'object');
  t.is(limitOf(() => readPack(rawPack([blob, blob, blob]), undefined, { maxTotalSize: 2999 })), 'total');
  // a header declaring 2^40 bytes is a size problem too
  t.is(limitOf(() => readPack(rawPack([{ code: 3, data: Buffer.from('tiny'), size: 2 ** 40 }]))), 'object');

  // deltas: three 64 KiB bases' worth of copies each describing 40 MiB: every result is under the object limit, together
  // they are over the total; refused from the headers alone (a result allocated first would take 40 MiB)
  const base = Buffer.alloc(0x10000, 'b');
  const baseId = hashObject('blob', base);
  const copies = (size: number) => Buffer.concat([Buffer.from([...varint(base.length), ...varint(size)]), Buffer.alloc(size / 0x10000, 0x80)]);
  const delta = { code: 7, baseId, data: copies(40 * 2 ** 20) };
  const bomb = rawPack([{ code: 3, data: base }, delta, delta, delta]);
  const before = process.memoryUsage().arrayBuffers;
  t.is(limitOf(() => readPack(bomb, undefined, { maxObjectSize: 50 * 2 ** 20, maxTotalSize: 100 * 2 ** 20 })), 'total');
  t.true(process.memoryUsage().arrayBuffers - before < 20 * 2 ** 20);
  t.is(limitOf(() => readPack(bomb, undefined, { maxObjectSize: 30 * 2 ** 20 })), 'object');
  t.is(readPack(bomb, undefined, { maxObjectSize: 50 * 2 ** 20, maxTotalSize: 200 * 2 ** 20 }).length, 4);
});
