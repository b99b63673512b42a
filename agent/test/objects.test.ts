// Object encoding and ids against the git CLI.
import test from 'ava';
import {
  decodeCommit, decodeTag, decodeTree, encodeCommit, encodeTag, encodeTree, hashObject, TreeEntry,
} from '../src/git/objects.js';
import { git, gitText, makeTempRepo, pseudoRandomBytes, removeTempDir } from './helpers/git-cli.js';

test('blob ids equal git hash-object for text, empty, unicode and binary content', (t) => {
  const repo = makeTempRepo();
  try {
    for (const data of [Buffer.from('hello\n'), Buffer.alloc(0), Buffer.from('こんにちは 🌍\n'), pseudoRandomBytes(70000, 3), Buffer.from([0, 1, 2, 255])]) {
      t.is(hashObject('blob', data), gitText(['hash-object', '-w', '--stdin'], { cwd: repo, input: data }));
    }
  } finally {
    removeTempDir(repo);
  }
});

test('trees sort like git (directories as name/), with every mode, and round-trip', (t) => {
  const repo = makeTempRepo();
  try {
    const blob = gitText(['hash-object', '-w', '--stdin'], { cwd: repo, input: 'x' });
    const sub = gitText(['mktree'], { cwd: repo, input: `100644 blob ${blob}\tinner\n` });
    const entries: TreeEntry[] = [
      { mode: '100644', name: 'a.txt', id: blob },
      { mode: '40000', name: 'a', id: sub },
      { mode: '100644', name: 'a-b', id: blob },
      { mode: '100755', name: 'run.sh', id: blob },
      { mode: '120000', name: 'link', id: blob },
      { mode: '100644', name: 'ünï', id: blob },
      { mode: '100644', name: 'Z', id: blob },
    ];
    const data = encodeTree(entries);
    const mktreeInput = entries
      .map((e) => `${e.mode === '40000' ? '040000' : e.mode} ${e.mode === '40000' ? 'tree' : 'blob'} ${e.id}\t${e.name}\n`)
      .join('');
    const gitId = gitText(['mktree'], { cwd: repo, input: mktreeInput });
    t.is(hashObject('tree', data), gitId);
    t.deepEqual(git(['cat-file', 'tree', gitId], { cwd: repo }), data);
    t.deepEqual(decodeTree(data).map((e) => e.name), ['Z', 'a-b', 'a.txt', 'a', 'link', 'run.sh', 'ünï']);
  } finally {
    removeTempDir(repo);
  }
});

test('commits with several parents, time zones and extra headers equal git commit-tree', (t) => {
  const repo = makeTempRepo();
  try {
    const tree = gitText(['mktree'], { cwd: repo, input: '' });
    const env = (date: string) => ({ GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date, GIT_AUTHOR_NAME: 'Zoë', GIT_COMMITTER_NAME: 'Zoë' });
    const p1 = gitText(['commit-tree', tree, '-m', 'one'], { cwd: repo, env: env('1700000000 +0530') });
    const p2 = gitText(['commit-tree', tree, '-m', 'two'], { cwd: repo, env: env('1700000100 -0800') });
    const merge = gitText(['commit-tree', tree, '-p', p1, '-p', p2, '-m', 'merge ünïcode'], { cwd: repo, env: env('1700000200 +0000') });
    const raw = git(['cat-file', 'commit', merge], { cwd: repo });
    const c = decodeCommit(raw);
    t.deepEqual(c.parents, [p1, p2]);
    t.is(c.author.timezone, '+0000');
    t.is(c.author.name, 'Zoë');
    t.deepEqual(encodeCommit(c), raw);
    t.is(hashObject('commit', encodeCommit(c)), merge);
    const first = decodeCommit(git(['cat-file', 'commit', p1], { cwd: repo }));
    t.is(first.author.timezone, '+0530');
    // A signed-looking commit: multi-line header survives a round trip byte for byte.
    const signed = Buffer.from(`tree ${tree}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN-----\n line2\n -----END-----\n\nmsg\n`);
    t.deepEqual(encodeCommit(decodeCommit(signed)), signed);
    t.is(hashObject('commit', signed), gitText(['hash-object', '-t', 'commit', '--stdin'], { cwd: repo, input: signed }));
  } finally {
    removeTempDir(repo);
  }
});

test('annotated tags round-trip and hash like git', (t) => {
  const repo = makeTempRepo();
  try {
    git(['commit', '-q', '--allow-empty', '-m', 'c'], { cwd: repo });
    git(['tag', '-a', 'v1', '-m', 'release\n\nnotes'], { cwd: repo });
    const id = gitText(['rev-parse', 'v1'], { cwd: repo });
    const raw = git(['cat-file', 'tag', id], { cwd: repo });
    const tag = decodeTag(raw);
    t.is(tag.tag, 'v1');
    t.is(tag.type, 'commit');
    t.deepEqual(encodeTag(tag), raw);
    t.is(hashObject('tag', raw), id);
  } finally {
    removeTempDir(repo);
  }
});

test('malformed objects are rejected with GitFormatError', (t) => {
  t.throws(() => decodeTree(Buffer.from('100644 name')), { name: 'GitFormatError' });
  t.throws(() => decodeTree(Buffer.from('999999 x\0' + 'a'.repeat(20))), { name: 'GitFormatError' });
  t.throws(() => decodeCommit(Buffer.from('tree nothex\n\nmsg')), { name: 'GitFormatError' });
  t.throws(() => decodeCommit(Buffer.from(`tree ${'a'.repeat(40)}\nauthor broken\n\nm`)), { name: 'GitFormatError' });
  t.throws(() => decodeTag(Buffer.from('object x\ntype blob\n\n')), { name: 'GitFormatError' });
});
