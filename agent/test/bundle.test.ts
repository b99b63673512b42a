import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseBundle, writeBundle, type BundleRef } from '../src/git/bundle.js';
import { GitFormatError, hashObject, type GitObject } from '../src/git/objects.js';
import { readPack } from '../src/git/pack-reader.js';
import { writePack } from '../src/git/pack-writer.js';
import { catAllObjects, git, gitText, makeSampleRepo, makeTempDir, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

const cleanup: string[] = [];
test.after.always(() => {
  for (const d of cleanup) removeTempDir(d);
});
function tempDir(): string {
  const d = makeTempDir();
  cleanup.push(d);
  return d;
}

function sorted<T>(values: Iterable<T>): T[] {
  return [...new Set(values)].sort();
}
function throwsFormat(t: import('ava').ExecutionContext, fn: () => unknown, message?: RegExp): void {
  const err = t.throws(fn, { instanceOf: GitFormatError });
  if (message && err) t.regex(err.message, message);
}
/** All refs of a repository as git shows them, plus HEAD. */
function repoRefs(repo: string): BundleRef[] {
  const refs = gitText(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: repo })
    .split('\n')
    .map((l) => ({ id: l.slice(0, 40), name: l.slice(41) }));
  return [{ name: 'HEAD', id: gitText(['rev-parse', 'HEAD'], { cwd: repo }) }, ...refs];
}
function refKey(r: BundleRef): string {
  return `${r.id} ${r.name}`;
}

let repo: string;
test.before(() => {
  repo = makeSampleRepo();
  cleanup.push(repo);
});

// ---------------------------------------------------------------- reading git's bundles

test('parseBundle: `git bundle create --all` (v2): refs and objects match', (t) => {
  const dir = tempDir();
  const file = join(dir, 'all.bundle');
  git(['bundle', 'create', '-q', file, '--all'], { cwd: repo });
  const bundle = parseBundle(readFileSync(file));
  t.is(bundle.version, 2);
  t.deepEqual(bundle.prerequisites, []);
  t.deepEqual(sorted(bundle.refs.map(refKey)), sorted(repoRefs(repo).map(refKey)));
  // list-heads is git's own reading of the header
  const heads = gitText(['bundle', 'list-heads', file], { cwd: repo }).split('\n');
  t.deepEqual(sorted(bundle.refs.map(refKey)), sorted(heads));

  const objects = readPack(bundle.pack);
  for (const o of objects) t.is(o.id, hashObject(o.type, o.data));
  const reachable = gitText(['rev-list', '--objects', '--all'], { cwd: repo })
    .split('\n')
    .map((l) => l.slice(0, 40));
  t.deepEqual(sorted(objects.map((o) => o.id)), sorted(reachable));
  const all = catAllObjects(repo);
  for (const o of objects) {
    t.is(o.type as string, all.get(o.id)!.type);
    t.true(o.data.equals(all.get(o.id)!.data));
  }
});

test('parseBundle: v3 bundle with object-format=sha1', (t) => {
  const dir = tempDir();
  const file = join(dir, 'v3.bundle');
  git(['bundle', 'create', '-q', '--version=3', file, '--all'], { cwd: repo });
  const buf = readFileSync(file);
  t.true(buf.toString('latin1', 0, 16) === '# v3 git bundle\n');
  const bundle = parseBundle(buf);
  t.is(bundle.version, 3);
  t.deepEqual(sorted(bundle.refs.map(refKey)), sorted(repoRefs(repo).map(refKey)));
  t.is(readPack(bundle.pack).length, Number(gitText(['rev-list', '--objects', '--all', '--count'], { cwd: repo })));
});

test('parseBundle: incremental bundle has prerequisites and a thin pack resolved from them', (t) => {
  const dir = tempDir();
  const file = join(dir, 'inc.bundle');
  git(['bundle', 'create', '-q', file, 'main~3..main'], { cwd: repo });
  const bundle = parseBundle(readFileSync(file));
  const base = gitText(['rev-parse', 'main~3'], { cwd: repo });
  t.true(bundle.prerequisites.some((p) => p.id === base));
  const subject = gitText(['log', '-1', '--format=%s', base], { cwd: repo });
  t.is(bundle.prerequisites.find((p) => p.id === base)!.comment, subject);
  t.deepEqual(bundle.refs, [{ name: 'refs/heads/main', id: gitText(['rev-parse', 'main'], { cwd: repo }) }]);

  const all = catAllObjects(repo);
  const objects = readPack(bundle.pack, { readObject: (id) => all.get(id) as GitObject | undefined });
  const expected = gitText(['rev-list', '--objects', 'main', '^main~3'], { cwd: repo })
    .split('\n')
    .map((l) => l.slice(0, 40));
  t.deepEqual(sorted(objects.map((o) => o.id)), sorted(expected));
});

// ---------------------------------------------------------------- writing bundles git accepts

test('writeBundle: git bundle verify, git clone, fsck --strict and log agree', (t) => {
  const all = catAllObjects(repo);
  const refs = repoRefs(repo);
  const buf = writeBundle(refs, [...all.values()] as GitObject[]);
  const dir = tempDir();
  const file = join(dir, 'out.bundle');
  writeFileSync(file, buf);

  const empty = makeTempRepo();
  cleanup.push(empty);
  // exits non-zero (and git() throws) unless the bundle is well-formed and complete
  t.regex(git(['bundle', 'verify', file], { cwd: empty }).toString(), /complete history/);
  t.deepEqual(sorted(gitText(['bundle', 'list-heads', file], { cwd: empty }).split('\n')), sorted(refs.map(refKey)));

  const clone = join(dir, 'clone');
  git(['clone', '-q', file, clone]);
  git(['fsck', '--strict', '--no-progress'], { cwd: clone });
  t.is(gitText(['fsck', '--strict', '--no-progress', '--no-dangling'], { cwd: clone }), '');
  t.is(gitText(['symbolic-ref', 'HEAD'], { cwd: clone }), 'refs/heads/main');
  t.is(gitText(['rev-parse', 'HEAD'], { cwd: clone }), gitText(['rev-parse', 'HEAD'], { cwd: repo }));
  const log = (cwd: string, rev: string) => gitText(['log', '--format=%H', rev, '--'], { cwd });
  t.is(log(clone, 'origin/main'), log(repo, 'main'));
  t.is(log(clone, 'origin/feature'), log(repo, 'feature'));
  t.is(log(clone, '--all'), log(repo, '--all'));
  t.is(gitText(['rev-parse', 'v1.0'], { cwd: clone }), gitText(['rev-parse', 'v1.0'], { cwd: repo }));
  t.is(gitText(['cat-file', '-t', 'v1.0'], { cwd: clone }), 'tag');
  // working tree is checked out, including the executable, the symlink and the unicode name
  t.is(gitText(['status', '--porcelain'], { cwd: clone }), '');
  t.is(readFileSync(join(clone, 'ünïcødé/日本語.txt'), 'utf8'), 'こんにちは世界\n');
  t.is(gitText(['ls-files', '-s', 'bin/run.sh', 'link-to-readme'], { cwd: clone }).split('\n').map((l) => l.slice(0, 6)).join(','), '100755,120000');
});

test('writeBundle: round-trips through parseBundle; accepts a generator with a count', (t) => {
  const objs: GitObject[] = [{ type: 'blob', data: Buffer.from('hello\n') }];
  const id = hashObject('blob', objs[0].data);
  const refs = [{ name: 'refs/tags/blob-tag', id }];
  const buf = writeBundle(refs, (function* () { yield* objs; })(), 1);
  const b = parseBundle(buf);
  t.is(b.version, 2);
  t.deepEqual(b.refs, refs);
  t.deepEqual(b.prerequisites, []);
  t.true(b.pack.equals(writePack(objs)));
  t.deepEqual(readPack(b.pack), [{ id, type: 'blob', data: objs[0].data }]);
});

test('writeBundle: rejects refs that would corrupt the header', (t) => {
  const id = 'a'.repeat(40);
  throwsFormat(t, () => writeBundle([{ name: 'refs/heads/x\nrefs/heads/y', id }], []));
  throwsFormat(t, () => writeBundle([{ name: 'refs/heads/a b', id }], []));
  throwsFormat(t, () => writeBundle([{ name: '', id }], []));
  throwsFormat(t, () => writeBundle([{ name: 'refs/heads/x', id: 'xyz' }], []));
});

// ---------------------------------------------------------------- malformed bundles

const PACK = writePack([]);
const OID = '1234567890abcdef1234567890abcdef12345678';
function bundleOf(header: string): Buffer {
  return Buffer.concat([Buffer.from(header, 'utf8'), PACK]);
}

test('parseBundle: header lines', (t) => {
  const b = parseBundle(bundleOf(`# v2 git bundle\n-${OID} some subject line\n-${OID.toUpperCase()}\n${OID} refs/heads/main\n${OID} HEAD\n\n`));
  t.deepEqual(b.prerequisites, [
    { id: OID, comment: 'some subject line' },
    { id: OID, comment: '' },
  ]);
  t.deepEqual(b.refs, [
    { name: 'refs/heads/main', id: OID },
    { name: 'HEAD', id: OID },
  ]);
  t.is(b.pack.length, PACK.length);
  // CRLF-terminated lines are tolerated like git does (trailing whitespace trimmed)
  t.deepEqual(parseBundle(bundleOf(`# v2 git bundle\n${OID} refs/heads/main\r\n\n`)).refs, [{ name: 'refs/heads/main', id: OID }]);
});

test('parseBundle: bad signature or header lines throw GitFormatError', (t) => {
  throwsFormat(t, () => parseBundle(bundleOf(`# v4 git bundle\n${OID} HEAD\n\n`)), /not a git bundle/);
  throwsFormat(t, () => parseBundle(Buffer.from('PACK')), /not a git bundle/);
  throwsFormat(t, () => parseBundle(Buffer.alloc(0)), /not a git bundle/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\nnot-a-sha refs/heads/main\n\n`)), /unrecognised bundle header line/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\n${OID}\n\n`)), /unrecognised/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\n${OID}x refs/heads/main\n\n`)), /unrecognised/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\n${OID.slice(0, 39)} refs/heads/main\n\n`)), /unrecognised/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\n @object-format=sha1\n\n`)), /unrecognised/);
  // capabilities are a v3 feature
  throwsFormat(t, () => parseBundle(bundleOf(`# v2 git bundle\n@object-format=sha1\n${OID} HEAD\n\n`)), /unrecognised/);
  throwsFormat(t, () => parseBundle(Buffer.from(`# v2 git bundle\n${OID} HEAD\n`)), /blank line/);
  throwsFormat(t, () => parseBundle(Buffer.from(`# v2 git bundle\n${OID} HEAD\n\n`)), /does not contain a pack/);
  throwsFormat(t, () => parseBundle(Buffer.from(`# v2 git bundle\n${OID} HEAD\n\nPAC`)), /does not contain a pack/);
});

test('parseBundle: v3 capabilities other than object-format=sha1 are rejected', (t) => {
  t.is(parseBundle(bundleOf(`# v3 git bundle\n@object-format=sha1\n${OID} HEAD\n\n`)).version, 3);
  t.is(parseBundle(bundleOf(`# v3 git bundle\n${OID} HEAD\n\n`)).version, 3);
  throwsFormat(t, () => parseBundle(bundleOf(`# v3 git bundle\n@object-format=sha256\n${OID} HEAD\n\n`)), /object format "sha256"/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v3 git bundle\n@object-format\n${OID} HEAD\n\n`)), /object format/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v3 git bundle\n@filter=blob:none\n${OID} HEAD\n\n`)), /filter/);
  throwsFormat(t, () => parseBundle(bundleOf(`# v3 git bundle\n@frobnicate\n${OID} HEAD\n\n`)), /unknown bundle capability "frobnicate"/);
});

test('parseBundle: a damaged pack inside a bundle fails in readPack', (t) => {
  const all = catAllObjects(repo);
  const buf = writeBundle(repoRefs(repo), [...all.values()] as GitObject[]);
  const bad = Buffer.from(buf);
  bad[bad.length - 100] ^= 1;
  const b = parseBundle(bad);
  throwsFormat(t, () => readPack(b.pack), /checksum/);
  throwsFormat(t, () => readPack(parseBundle(buf.subarray(0, buf.length - 10)).pack));
});
