import test from 'ava';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { applyDelta } from '../src/git/delta.js';
import { GitFormatError, hashObject, type GitObject, type ObjectReader } from '../src/git/objects.js';
import { readPack, type PackedObject } from '../src/git/pack-reader.js';
import { encodeEntryHeader, PackEncoder, writePack } from '../src/git/pack-writer.js';
import { catAllObjects, git, gitText, makeSampleRepo, makeTempDir, makeTempRepo, pseudoRandomBytes, removeTempDir } from './helpers/git-cli.js';

// ---------------------------------------------------------------- helpers

const cleanup: string[] = [];
test.after.always(() => {
  for (const d of cleanup) removeTempDir(d);
});
function tempDir(): string {
  const d = makeTempDir();
  cleanup.push(d);
  return d;
}
function tempRepo(): string {
  const d = makeTempRepo({ bare: true });
  cleanup.push(d);
  return d;
}

/** Delta header size varint. */
function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}
/** Encodes a delta from copy ([offset, size]) and insert (Buffer/string) instructions. */
function makeDelta(baseSize: number, resultSize: number, ops: ([number, number] | Buffer | string)[]): Buffer {
  const bytes: number[] = [...varint(baseSize), ...varint(resultSize)];
  for (const op of ops) {
    if (Array.isArray(op)) {
      const [offset, size] = op;
      let code = 0x80;
      const tail: number[] = [];
      for (let i = 0; i < 4; i++) {
        const b = Math.floor(offset / 2 ** (8 * i)) & 0xff;
        if (b) { code |= 1 << i; tail.push(b); }
      }
      for (let i = 0; i < 3; i++) {
        const b = (size >> (8 * i)) & 0xff;
        if (b) { code |= 0x10 << i; tail.push(b); }
      }
      bytes.push(code, ...tail);
    } else {
      const data = Buffer.from(op);
      for (let i = 0; i < data.length; i += 127) {
        const part = data.subarray(i, i + 127);
        bytes.push(part.length, ...part);
      }
    }
  }
  return Buffer.from(bytes);
}

type RawEntry =
  | { code: 1 | 2 | 3 | 4; data: Buffer; size?: number }
  | { code: 6; rel: number; data: Buffer }
  | { code: 7; baseId: string; data: Buffer }
  | { code: number; data: Buffer; raw: true };

/** Builds a pack byte by byte so tests control entry order, delta kinds and corruption. */
function buildPack(entries: RawEntry[], opts: { count?: number; version?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(opts.version ?? 2, 4);
  header.writeUInt32BE(opts.count ?? entries.length, 8);
  parts.push(header);
  for (const e of entries) {
    const size = 'size' in e && e.size !== undefined ? e.size : e.data.length;
    parts.push(encodeEntryHeader(e.code, size));
    if (e.code === 6 && 'rel' in e) parts.push(encodeOfs(e.rel));
    if (e.code === 7 && 'baseId' in e) parts.push(Buffer.from(e.baseId, 'hex'));
    parts.push(deflateSync(e.data));
  }
  return withTrailer(Buffer.concat(parts));
}
function encodeOfs(rel: number): Buffer {
  const bytes = [rel & 0x7f];
  while ((rel = Math.floor(rel / 128)) > 0) {
    rel -= 1;
    bytes.unshift(0x80 | (rel & 0x7f));
  }
  return Buffer.from(bytes);
}
function withTrailer(body: Buffer): Buffer {
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}
/** Replaces the trailer of a modified pack so only structural checks can catch the damage. */
function refreshTrailer(pack: Buffer): Buffer {
  return withTrailer(pack.subarray(0, pack.length - 20));
}

/** Type codes of the entries of a pack, read at the offsets git's own index reports (an independent oracle). */
function entryCodes(pack: Buffer): Map<string, number> {
  const dir = tempRepo();
  const packPath = join(dir, 'probe.pack');
  writeFileSync(packPath, pack);
  git(['index-pack', '-o', join(dir, 'probe.idx'), packPath], { cwd: dir });
  const out = gitText(['verify-pack', '-v', join(dir, 'probe.idx')], { cwd: dir });
  const codes = new Map<string, number>();
  for (const line of out.split('\n')) {
    const m = /^([0-9a-f]{40}) +\w+ +\d+ +\d+ +(\d+)/.exec(line);
    if (m) codes.set(m[1], (pack[Number(m[2])] >> 4) & 7);
  }
  return codes;
}
function countCodes(codes: Map<string, number>, code: number): number {
  return [...codes.values()].filter((c) => c === code).length;
}

function assertAllHashed(t: import('ava').ExecutionContext, objects: PackedObject[]): void {
  for (const o of objects) t.is(o.id, hashObject(o.type, o.data));
}
function assertMatchesRepo(t: import('ava').ExecutionContext, objects: PackedObject[], repo: string): void {
  assertAllHashed(t, objects);
  const expected = catAllObjects(repo);
  t.deepEqual(sortedSet(objects.map((o) => o.id)), sortedSet(expected.keys()));
  for (const o of objects) {
    const e = expected.get(o.id)!;
    t.is(o.type as string, e.type, `type of ${o.id}`);
    t.true(o.data.equals(e.data), `data of ${o.id}`);
  }
}
/** Sorted distinct values (ava compares sets in insertion order). */
function sortedSet<T>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort();
}
function mapReader(objects: Map<string, { type: string; data: Buffer }>): ObjectReader {
  return { readObject: (id) => objects.get(id) as GitObject | undefined };
}
function throwsFormat(t: import('ava').ExecutionContext, fn: () => unknown, message?: RegExp): void {
  const err = t.throws(fn, { instanceOf: GitFormatError });
  if (message && err) t.regex(err.message, message);
}

// ---------------------------------------------------------------- fixture

let repo: string;
let gcPack: Buffer;

test.before(() => {
  repo = makeSampleRepo();
  cleanup.push(repo);
  git(['repack', '-adf', '--window=50', '--depth=50'], { cwd: repo });
  const packDir = join(repo, '.git/objects/pack');
  const name = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  gcPack = readFileSync(join(packDir, name));
});

// ---------------------------------------------------------------- reading git's packs

test('readPack: repack -adf pack (OFS_DELTA) matches cat-file and rev-list', (t) => {
  const codes = entryCodes(gcPack);
  t.true(countCodes(codes, 6) >= 5, `expected OFS_DELTA entries, got ${JSON.stringify([...codes.values()])}`);
  const objects = readPack(gcPack);
  assertMatchesRepo(t, objects, repo);
  const reachable = gitText(['rev-list', '--objects', '--all'], { cwd: repo })
    .split('\n')
    .map((l) => l.slice(0, 40));
  t.deepEqual(sortedSet(objects.map((o) => o.id)), sortedSet(reachable));
  t.is(objects.length, Number(gcPack.readUInt32BE(8)));
  // every kind of object is present
  t.deepEqual(sortedSet(objects.map((o) => o.type)), sortedSet(['blob', 'tree', 'commit', 'tag']));
});

test('readPack: contents equal `git cat-file <type>` and `cat-file -p` for blobs', (t) => {
  const objects = readPack(gcPack);
  const byType = new Map<string, PackedObject[]>();
  for (const o of objects) byType.set(o.type, [...(byType.get(o.type) ?? []), o]);
  for (const [type, list] of byType) {
    for (const o of list.slice(0, 6)) {
      t.true(git(['cat-file', type, o.id], { cwd: repo }).equals(o.data), `${type} ${o.id}`);
      t.is(gitText(['cat-file', '-t', o.id], { cwd: repo }), type);
    }
  }
  for (const o of byType.get('blob')!.slice(0, 10)) t.true(git(['cat-file', '-p', o.id], { cwd: repo }).equals(o.data));
});

test('readPack: REF_DELTA pack from pack-objects without --delta-base-offset', (t) => {
  const list = git(['rev-list', '--objects', '--all'], { cwd: repo });
  const pack = git(['pack-objects', '--no-reuse-delta', '--window=50', '--depth=50', '--stdout'], { cwd: repo, input: list });
  const codes = entryCodes(pack);
  t.true(countCodes(codes, 7) >= 5, 'expected REF_DELTA entries');
  t.is(countCodes(codes, 6), 0);
  assertMatchesRepo(t, readPack(pack), repo);
});

test('readPack: thin pack resolves REF_DELTA bases from the external reader only', (t) => {
  const pack = git(['pack-objects', '--thin', '--revs', '--stdout', '--window=50'], { cwd: repo, input: 'main\n^main~4\n' });
  const expected = sortedSet(
    gitText(['rev-list', '--objects', 'main', '^main~4'], { cwd: repo })
      .split('\n')
      .map((l) => l.slice(0, 40)),
  );
  const all = catAllObjects(repo);
  throwsFormat(t, () => readPack(pack), /missing/);
  const objects = readPack(pack, mapReader(all));
  assertAllHashed(t, objects);
  t.deepEqual(sortedSet(objects.map((o) => o.id)), expected);
  for (const o of objects) t.true(all.get(o.id)!.data.equals(o.data));
  // an external reader that lacks the bases is not enough
  throwsFormat(t, () => readPack(pack, { readObject: () => undefined }), /missing/);
  // an external reader that lies about an object is caught
  throwsFormat(t, () => readPack(pack, { readObject: () => ({ type: 'blob', data: Buffer.from('lie') }) }), /does not match/);
});

test('readPack: git index-pack agrees with readPack on the pack from `git gc --aggressive`', (t) => {
  const dir = tempDir();
  git(['clone', '-q', '--no-local', repo, dir]);
  git(['gc', '-q', '--aggressive', '--prune=now'], { cwd: dir });
  const packDir = join(dir, '.git/objects/pack');
  const name = readdirSync(packDir).find((f) => f.endsWith('.pack'))!;
  const pack = readFileSync(join(packDir, name));
  const objects = readPack(pack);
  assertMatchesRepo(t, objects, dir);
  t.true(countCodes(entryCodes(pack), 6) > 0);
});

test('readPack: REF_DELTA bases after their deltas, chained, mixed with OFS_DELTA', (t) => {
  const base = Buffer.from('the base object, long enough to be worth copying from: ' + 'abc'.repeat(50));
  const v1 = Buffer.concat([base, Buffer.from(' plus v1')]);
  const v2 = Buffer.concat([Buffer.from('v2 prefix '), v1]);
  const v3 = Buffer.concat([v2.subarray(0, 20), Buffer.from('!!')]);
  const idBase = hashObject('blob', base);
  const idV1 = hashObject('blob', v1);
  const d1 = makeDelta(base.length, v1.length, [[0, base.length], ' plus v1']);
  const d2 = makeDelta(v1.length, v2.length, ['v2 prefix ', [0, v1.length]]);
  const d3 = makeDelta(v2.length, v3.length, [[0, 20], '!!']);
  // order: v2 (REF on v1), v3 (OFS on v2), v1 (REF on base), base
  const e0: RawEntry = { code: 7, baseId: idV1, data: d2 };
  const pack0 = buildPack([e0]);
  const v3rel = pack0.length - 20 - 12; // v3 entry starts right after v2's entry
  const pack = buildPack([e0, { code: 6, rel: v3rel, data: d3 }, { code: 7, baseId: idBase, data: d1 }, { code: 3, data: base }]);
  const objects = readPack(pack);
  t.deepEqual(
    objects.map((o) => o.data.toString()),
    [v2, v3, v1, base].map((b) => b.toString()),
  );
  assertAllHashed(t, objects);
  // git accepts the same pack and finds the same objects
  t.deepEqual(sortedSet(entryCodes(pack).keys()), sortedSet(objects.map((o) => o.id)));
});

test('readPack: every object of a large pack, with a 3 MiB blob', (t) => {
  const big = pseudoRandomBytes(3 << 20, 3);
  const objs: GitObject[] = [
    { type: 'blob', data: big },
    { type: 'blob', data: Buffer.alloc(0) },
    { type: 'blob', data: Buffer.alloc(5 << 20, 'a') },
  ];
  const read = readPack(writePack(objs));
  t.is(read.length, 3);
  t.true(read[0].data.equals(big));
  t.is(read[1].data.length, 0);
  t.is(read[2].data.length, 5 << 20);
});

test('readPack: 10,000-deep delta chains (OFS forwards, REF backwards) resolve without recursion, in linear time', (t) => {
  const depth = 10_000;
  const prefix = `object 0 ${'.'.repeat(50)}`;
  const full = Buffer.from(prefix + Array.from({ length: depth }, (_, k) => String.fromCharCode(97 + (k % 26))).join(''));
  const version = (i: number) => full.subarray(0, prefix.length + i);
  const deltaTo = (i: number) => makeDelta(version(i - 1).length, version(i).length, [[0, version(i - 1).length], String.fromCharCode(97 + ((i - 1) % 26))]);
  // OFS: base first, each delta on the entry just before it
  const ofsParts: Buffer[] = [];
  let offset = 12;
  let prev = 12;
  for (let i = 0; i <= depth; i++) {
    const data = i === 0 ? version(0) : deltaTo(i);
    const entry = Buffer.concat([encodeEntryHeader(i === 0 ? 3 : 6, data.length), i === 0 ? Buffer.alloc(0) : encodeOfs(offset - prev), deflateSync(data)]);
    prev = offset;
    offset += entry.length;
    ofsParts.push(entry);
  }
  const header = (n: number) => Buffer.from([0x50, 0x41, 0x43, 0x4b, 0, 0, 0, 2, (n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
  const ofsPack = withTrailer(Buffer.concat([header(depth + 1), ...ofsParts]));
  // REF: deepest delta first, base last
  const refParts: Buffer[] = [];
  for (let i = depth; i >= 0; i--) {
    const data = i === 0 ? version(0) : deltaTo(i);
    refParts.push(encodeEntryHeader(i === 0 ? 3 : 7, data.length), i === 0 ? Buffer.alloc(0) : Buffer.from(hashObject('blob', version(i - 1)), 'hex'), deflateSync(data));
  }
  const refPack = withTrailer(Buffer.concat([header(depth + 1), ...refParts]));
  const started = Date.now();
  const ofs = readPack(ofsPack);
  const ref = readPack(refPack);
  const elapsed = Date.now() - started;
  t.is(ofs.length, depth + 1);
  t.is(ref.length, depth + 1);
  t.true(ofs[depth].data.equals(version(depth)));
  t.true(ref[0].data.equals(version(depth)));
  t.deepEqual(sortedSet(ofs.map((o) => o.id)), sortedSet(ref.map((o) => o.id)));
  t.log(`two ${depth}-deep chains resolved in ${elapsed} ms`);
  t.true(elapsed < 30_000);
});

test('readPack: empty pack', (t) => {
  t.deepEqual(readPack(buildPack([])), []);
  t.deepEqual(readPack(writePack([])), []);
});

test('readPack: v3 header accepted', (t) => {
  const objects = readPack(buildPack([{ code: 3, data: Buffer.from('x') }], { version: 3 }));
  t.is(objects[0].id, hashObject('blob', Buffer.from('x')));
});

// ---------------------------------------------------------------- writing

test('writePack: git index-pack --strict and verify-pack accept it; readPack round-trips', (t) => {
  const all = catAllObjects(repo);
  const objects = [...all.values()] as GitObject[];
  const pack = writePack(objects);
  const dir = tempRepo();
  const packPath = join(dir, 'out.pack');
  writeFileSync(packPath, pack);
  const printed = gitText(['index-pack', '--strict', '-o', join(dir, 'out.idx'), packPath], { cwd: dir });
  t.is(printed, pack.subarray(pack.length - 20).toString('hex'));
  const verify = gitText(['verify-pack', '-v', join(dir, 'out.idx')], { cwd: dir });
  t.regex(verify, /out\.pack: ok/);
  t.regex(verify, new RegExp(`non delta: ${all.size} objects`));
  const ids = [...verify.matchAll(/^([0-9a-f]{40}) /gm)].map((m) => m[1]);
  t.deepEqual(sortedSet(ids), sortedSet(all.keys()));
  const back = readPack(pack);
  t.deepEqual(back.map((o) => o.id), [...all.keys()]);
});

test('writePack: streams a generator when given a count, and checks the count', (t) => {
  const gen = function* () {
    for (let i = 0; i < 3; i++) yield { type: 'blob' as const, data: Buffer.from(`blob ${i}`) };
  };
  const pack = writePack(gen(), 3);
  t.is(readPack(pack).length, 3);
  t.throws(() => writePack(gen(), 2), { message: /more objects/ });
  t.throws(() => writePack(gen(), 4), { message: /declared 4/ });
  t.is(readPack(writePack(gen())).length, 3);
});

test('writePack: deterministic output', (t) => {
  const objs: GitObject[] = [{ type: 'blob', data: Buffer.from('same') }];
  t.true(writePack(objs).equals(writePack(objs)));
});

// ---------------------------------------------------------------- malformed packs

test('malformed: truncated pack', (t) => {
  throwsFormat(t, () => readPack(gcPack.subarray(0, gcPack.length - 1)), /checksum/);
  throwsFormat(t, () => readPack(gcPack.subarray(0, 40)), /checksum/);
  throwsFormat(t, () => readPack(gcPack.subarray(0, 20)), /too short/);
  throwsFormat(t, () => readPack(Buffer.alloc(0)), /too short/);
  // cut inside the object data but with a valid trailer: structural truncation is detected
  const body = gcPack.subarray(0, gcPack.length - 20);
  for (const cut of [13, 100, Math.floor(body.length / 2), body.length - 1]) {
    throwsFormat(t, () => readPack(withTrailer(body.subarray(0, cut))));
  }
});

test('malformed: flipped byte fails the checksum; with a refreshed trailer zlib or the structure catches it', (t) => {
  for (const at of [12, 200, Math.floor(gcPack.length / 2), gcPack.length - 25, gcPack.length - 1]) {
    const bad = Buffer.from(gcPack);
    bad[at] ^= 0x40;
    throwsFormat(t, () => readPack(bad), /checksum/);
  }
  // damage inside a deflate stream with the trailer recomputed
  const pack = buildPack([{ code: 3, data: Buffer.from('hello hello hello hello world') }]);
  const bad = Buffer.from(pack);
  bad[pack.length - 20 - 3] ^= 0xff; // inside the adler32
  throwsFormat(t, () => readPack(refreshTrailer(bad)), /zlib/);
});

test('malformed: bad header', (t) => {
  const sig = Buffer.from(gcPack);
  sig.write('PACX', 0, 'latin1');
  throwsFormat(t, () => readPack(refreshTrailer(sig)), /signature/);
  const ver = Buffer.from(gcPack);
  ver.writeUInt32BE(4, 4);
  throwsFormat(t, () => readPack(refreshTrailer(ver)), /version 4/);
});

test('malformed: header count mismatch', (t) => {
  const n = gcPack.readUInt32BE(8);
  for (const [count, re] of [
    [n + 1, /truncated/],
    [n - 1, /unexpected bytes/],
    [0, /unexpected bytes/],
    [0xffffffff, /claims/],
  ] as const) {
    const bad = Buffer.from(gcPack);
    bad.writeUInt32BE(count, 8);
    throwsFormat(t, () => readPack(refreshTrailer(bad)), re);
  }
});

test('malformed: bad type codes', (t) => {
  for (const code of [0, 5]) {
    throwsFormat(t, () => readPack(buildPack([{ code, data: Buffer.from('x'), raw: true }])), new RegExp(`type code ${code}`));
  }
});

test('malformed: size header disagrees with the deflated data (zip bomb guard)', (t) => {
  const bomb = Buffer.alloc(1 << 20);
  throwsFormat(t, () => readPack(buildPack([{ code: 3, data: bomb, size: 10 }])), /more than its declared size/);
  throwsFormat(t, () => readPack(buildPack([{ code: 3, data: Buffer.from('tiny'), size: 2 ** 31 }])), /inflates to 4 bytes/);
  throwsFormat(t, () => readPack(buildPack([{ code: 3, data: Buffer.from('tiny'), size: 2 ** 40 }])), /impossible size/);
  throwsFormat(t, () => readPack(buildPack([{ code: 3, data: Buffer.from(''), size: 1 }])), /inflates to 0 bytes/);
});

test('malformed: OFS_DELTA offsets out of range or not at an object start', (t) => {
  const base: RawEntry = { code: 3, data: Buffer.from('base object') };
  const delta = makeDelta(11, 4, [[0, 4]]);
  throwsFormat(t, () => readPack(buildPack([base, { code: 6, rel: 1000, data: delta }])), /outside the pack/);
  throwsFormat(t, () => readPack(buildPack([{ code: 6, rel: 0, data: delta }])), /outside the pack/);
  throwsFormat(t, () => readPack(buildPack([base, { code: 6, rel: 3, data: delta }])), /not the start of an object/);
  throwsFormat(t, () => readPack(buildPack([base, { code: 6, rel: 2 ** 60, data: delta }])), /outside the pack/);
  // a correct offset works
  const ok = buildPack([base, { code: 6, rel: buildPack([base]).length - 32, data: delta }]);
  t.is(readPack(ok)[1].data.toString(), 'base');
});

test('malformed: delta base missing, delta cycle', (t) => {
  const delta = makeDelta(3, 3, [[0, 3]]);
  throwsFormat(t, () => readPack(buildPack([{ code: 7, baseId: 'ab'.repeat(20), data: delta }])), /missing/);
  // A is a delta on B and B a delta on A: consistent ids, but nothing to start from
  const a = Buffer.from('aaaa');
  const b = Buffer.from('bbbb');
  const cycle = buildPack([
    { code: 7, baseId: hashObject('blob', b), data: makeDelta(4, 4, ['aaaa']) },
    { code: 7, baseId: hashObject('blob', a), data: makeDelta(4, 4, ['bbbb']) },
  ]);
  throwsFormat(t, () => readPack(cycle), /cycle/);
  throwsFormat(t, () => readPack(cycle, { readObject: () => undefined }), /cycle/);
});

test('malformed: bad delta inside a pack', (t) => {
  const base: RawEntry = { code: 3, data: Buffer.from('base object') };
  const id = hashObject('blob', base.data);
  throwsFormat(t, () => readPack(buildPack([base, { code: 7, baseId: id, data: makeDelta(12, 4, [[0, 4]]) }])), /delta at offset \d+: .*base size/);
  throwsFormat(t, () => readPack(buildPack([base, { code: 7, baseId: id, data: makeDelta(11, 4, [[8, 4]]) }])), /out of range/);
  throwsFormat(t, () => readPack(buildPack([base, { code: 7, baseId: id, data: makeDelta(11, 5, [[0, 4]]) }])), /declares 5/);
  throwsFormat(t, () => readPack(buildPack([base, { code: 7, baseId: id, data: Buffer.from([11]) }])), /truncated delta header/);
});

test('malformed: truncated entry headers', (t) => {
  // OFS_DELTA / REF_DELTA header running into the trailer
  const ofs = Buffer.concat([Buffer.from('PACK\0\0\0\x02\0\0\0\x01', 'latin1'), Buffer.from([0x65])]);
  throwsFormat(t, () => readPack(withTrailer(Buffer.concat([ofs, Buffer.alloc(8)]))));
  const ref = Buffer.concat([Buffer.from('PACK\0\0\0\x02\0\0\0\x01', 'latin1'), Buffer.from([0x75]), Buffer.alloc(10)]);
  throwsFormat(t, () => readPack(withTrailer(ref)), /truncated REF_DELTA/);
  const sizeRunsOn = Buffer.concat([Buffer.from('PACK\0\0\0\x02\0\0\0\x01', 'latin1'), Buffer.alloc(9, 0xff)]);
  throwsFormat(t, () => readPack(withTrailer(sizeRunsOn)));
});

test('limits: object size, total size and delta bombs are refused before allocating', (t) => {
  const blob: RawEntry = { code: 3, data: Buffer.alloc(100, 'x') };
  throwsFormat(t, () => readPack(buildPack([blob]), undefined, { maxObjectSize: 50 }), /over the object size limit of 50/);
  t.is(readPack(buildPack([blob]), undefined, { maxObjectSize: 100 }).length, 1);
  throwsFormat(t, () => readPack(buildPack([blob, blob, blob]), undefined, { maxTotalSize: 250 }), /limit of 250/);
  // a 128 KiB delta of one-byte "copy 64 KiB" instructions honestly describes an 8 GiB object
  const base = Buffer.alloc(0x10000, 'b');
  const baseId = hashObject('blob', base);
  const bombOf = (size: number) => Buffer.concat([Buffer.from([...varint(base.length), ...varint(size)]), Buffer.alloc(size / 0x10000, 0x80)]);
  const bombPack = (size: number) => buildPack([{ code: 3, data: base }, { code: 7, baseId, data: bombOf(size) }]);
  throwsFormat(t, () => readPack(bombPack(2 ** 33)), /delta at offset \d+: .*(too large|over the object size limit)/);
  throwsFormat(t, () => readPack(bombPack(2 ** 31), undefined, { maxObjectSize: 2 ** 30 }), /delta at offset \d+: result of 2147483648 bytes is over the object size limit/);
  // a smaller one passes the object limit but not a total limit
  const small = Buffer.concat([Buffer.from([...varint(base.length), ...varint(2 ** 24)]), Buffer.alloc(256, 0x80)]);
  const smallPack = buildPack([{ code: 3, data: base }, { code: 7, baseId, data: small }]);
  t.is(readPack(smallPack)[1].data.length, 2 ** 24);
  throwsFormat(t, () => readPack(smallPack, undefined, { maxTotalSize: 2 ** 24 }), /limit of 16777216/);
});

test('fuzz: damaged packs either parse correctly or throw GitFormatError, never anything else', (t) => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  let failures = 0;
  for (let iter = 0; iter < 400; iter++) {
    const body = Buffer.from(gcPack.subarray(0, gcPack.length - 20));
    const mode = rnd(3);
    let damaged: Buffer;
    if (mode === 0) {
      for (let k = 0, n = 1 + rnd(4); k < n; k++) body[12 + rnd(body.length - 12)] = rnd(256);
      damaged = body;
    } else if (mode === 1) {
      damaged = body.subarray(0, 12 + rnd(body.length - 12));
    } else {
      const at = 12 + rnd(body.length - 12);
      damaged = Buffer.concat([body.subarray(0, at), Buffer.from([rnd(256)]), body.subarray(at)]);
    }
    try {
      for (const o of readPack(withTrailer(damaged))) t.is(o.id, hashObject(o.type, o.data));
    } catch (err) {
      if (!(err instanceof GitFormatError)) t.fail(`iteration ${iter}: ${String(err)}`);
      failures++;
    }
  }
  t.true(failures > 300);
});

// ---------------------------------------------------------------- applyDelta

test('applyDelta: copies and inserts', (t) => {
  const base = Buffer.from('0123456789abcdef');
  t.is(applyDelta(base, makeDelta(16, 9, [[10, 6], 'xyz'])).toString(), 'abcdefxyz');
  t.is(applyDelta(base, makeDelta(16, 0, [])).toString(), '');
  t.is(applyDelta(base, makeDelta(16, 32, [[0, 16], [0, 16]])).toString(), '0123456789abcdef0123456789abcdef');
  const long = 'L'.repeat(300);
  t.is(applyDelta(base, makeDelta(16, 302, [long, [0, 2]])).toString(), long + '01');
});

test('applyDelta: copy size 0 means 0x10000; multi-byte offsets', (t) => {
  const base = pseudoRandomBytes(0x30000, 9);
  // opcode 0x80|0x04 with offset byte 2 = 0x02 -> offset 0x20000, no size bytes -> 0x10000
  const delta = Buffer.from([...varint(base.length), ...varint(0x10000), 0x84, 0x02]);
  t.true(applyDelta(base, delta).equals(base.subarray(0x20000, 0x30000)));
  const d2 = makeDelta(base.length, 0x101, [[0x1_23_45, 0x101]]);
  t.true(applyDelta(base, d2).equals(base.subarray(0x12345, 0x12345 + 0x101)));
});

test('applyDelta: invalid deltas throw GitFormatError', (t) => {
  const base = Buffer.from('0123456789');
  throwsFormat(t, () => applyDelta(base, makeDelta(9, 1, [[0, 1]])), /base size mismatch/);
  throwsFormat(t, () => applyDelta(base, makeDelta(10, 5, [[8, 5]])), /out of range/);
  throwsFormat(t, () => applyDelta(base, makeDelta(10, 1, [[10, 1]])), /out of range/);
  throwsFormat(t, () => applyDelta(base, makeDelta(10, 1, [[2 ** 32 - 1, 1]])), /out of range/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, ...varint(0x10000), 0x80])), /out of range/); // size 0x10000 > base
  throwsFormat(t, () => applyDelta(base, makeDelta(10, 3, [[0, 4]])), /more than its declared/);
  throwsFormat(t, () => applyDelta(base, makeDelta(10, 5, [[0, 4]])), /produces 4 bytes but declares 5/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, 1, 0])), /opcode 0/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, 3, 3, 0x41])), /truncated delta insert/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, 3, 0x91])), /truncated delta copy/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10])), /truncated delta header/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([0x8a])), /truncated delta header/);
  throwsFormat(t, () => applyDelta(base, Buffer.alloc(0)), /truncated delta header/);
  // a huge declared result size is rejected without allocating it
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, ...varint(2 ** 31), 0x90, 0x01])), /produces 1 bytes but declares/);
  throwsFormat(t, () => applyDelta(base, Buffer.from([10, ...varint(2 ** 50)])), /too large/);
});

test('applyDelta: matches git on real deltas (via readPack of a REF_DELTA pack)', (t) => {
  // every delta git produced for the sample repository applies to give the object git stores
  const list = git(['rev-list', '--objects', '--all'], { cwd: repo });
  const pack = git(['pack-objects', '--no-reuse-delta', '--window=50', '--depth=10', '--stdout'], { cwd: repo, input: list });
  const all = catAllObjects(repo);
  for (const o of readPack(pack)) t.true(all.get(o.id)!.data.equals(o.data));
});

test('PackEncoder: the same bytes as writePack, however small the pieces', (t) => {
  const objects: GitObject[] = [
    { type: 'blob', data: Buffer.from('hello\n') },
    { type: 'blob', data: pseudoRandomBytes(5000, 3) },
    { type: 'tree', data: Buffer.alloc(0) },
    { type: 'commit', data: Buffer.from('tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@x> 0 +0000\ncommitter A <a@x> 0 +0000\n\nm\n') },
  ];
  const whole = writePack(objects);
  for (const pieceBytes of [1, 7, 100, 1 << 20]) {
    const encoder = new PackEncoder(objects.length, pieceBytes);
    const pieces: Buffer[] = [];
    for (const o of objects) {
      encoder.add(o);
      pieces.push(...encoder.take());
    }
    pieces.push(...encoder.finish());
    t.true(Buffer.concat(pieces).equals(whole), `pieces of ${pieceBytes}`);
    // full pieces, then the last partial one, then the 20-byte trailer
    t.true(pieces.slice(0, -2).every((p) => p.length === pieceBytes), `pieces of ${pieceBytes}`);
    t.is(pieces[pieces.length - 1].length, 20);
  }
  const short = new PackEncoder(2);
  short.add(objects[0]);
  t.throws(() => short.finish(), { instanceOf: RangeError });
  t.throws(() => new PackEncoder(0).add(objects[0]), { instanceOf: RangeError });
});
