// Tree diffs and unified patches against the git CLI: `git diff-tree -r` raw output and `git diff` text.
import test from 'ava';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { diffRecords, splitLines } from '../src/git/line-diff.js';
import { GitFormatError, OBJECT_TYPES, encodeTree, hashObject, type GitObject, type ObjectReader, type ObjectType } from '../src/git/objects.js';
import { formatPatch, formatPatchBuffer } from '../src/git/patch.js';
import { diffTrees, pathChanged, type FileChange } from '../src/git/tree-diff.js';
import { GitCliError, catAllObjects, git, gitText, makeTempRepo, prng, pseudoRandomBytes, removeTempDir } from './helpers/git-cli.js';

type FileSpec = string | Buffer | { exec: string } | { link: string } | { gitlink: string };
type State = Record<string, FileSpec>;

/** A scratch repository whose commits are whole work-tree states, made with plumbing so HEAD never matters. */
class Repo {
  readonly dir = makeTempRepo();
  private tick = 0;

  text(args: string[]): string {
    return gitText(args, { cwd: this.dir });
  }

  commit(state: State, parents: string[] = []): string {
    for (const name of readdirSync(this.dir)) if (name !== '.git') rmSync(join(this.dir, name), { recursive: true, force: true });
    const gitlinks: [string, string][] = [];
    for (const [path, spec] of Object.entries(state)) {
      const full = join(this.dir, path);
      mkdirSync(dirname(full), { recursive: true });
      if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(full, spec);
      else if ('exec' in spec) {
        writeFileSync(full, spec.exec);
        chmodSync(full, 0o755);
      } else if ('link' in spec) symlinkSync(spec.link, full);
      else gitlinks.push([path, spec.gitlink]);
    }
    git(['add', '-A'], { cwd: this.dir });
    for (const [p, id] of gitlinks) git(['update-index', '--add', '--cacheinfo', `160000,${id},${p}`], { cwd: this.dir });
    const tree = this.text(['write-tree']);
    const date = `${1700000000 + ++this.tick * 60} +0000`;
    const env = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
    return gitText(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', `c${this.tick}`], { cwd: this.dir, env });
  }

  tree(commit: string): string {
    return this.text(['rev-parse', `${commit}^{tree}`]);
  }

  reader(): ObjectReader {
    const all = catAllObjects(this.dir);
    return {
      readObject(id: string): GitObject | undefined {
        const o = all.get(id);
        if (!o) return undefined;
        if (!OBJECT_TYPES.includes(o.type as ObjectType)) throw new Error(`odd type ${o.type}`);
        return { type: o.type as ObjectType, data: o.data };
      },
    };
  }
}

const ZERO = '0'.repeat(40);
const STATUS: Record<string, FileChange['status']> = { A: 'added', D: 'deleted', M: 'modified', T: 'type_changed' };

/** `git diff-tree -r --no-renames -z` parsed into FileChanges (NUL-separated, so paths are unquoted). */
function gitRaw(repo: Repo, a: string, b: string): FileChange[] {
  const tokens = git(['diff-tree', '-r', '--no-renames', '-z', a, b], { cwd: repo.dir }).toString('utf8').split('\0');
  const out: FileChange[] = [];
  for (let i = 0; i + 1 < tokens.length; i += 2) {
    const [oldMode, newMode, oldId, newId, status] = tokens[i].slice(1).split(' ');
    const c: FileChange = { path: tokens[i + 1], status: STATUS[status] };
    if (oldMode !== '000000') Object.assign(c, { oldMode, oldId });
    if (newMode !== '000000') Object.assign(c, { newMode, newId });
    if (!c.status || (oldId === ZERO) !== (oldMode === '000000')) throw new Error(`unexpected raw line ${tokens[i]}`);
    out.push(c);
  }
  return out;
}

const lines = (n: number, tag = 'line') => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}\n`).join('');

// Old and new states covering nested dirs, whole-dir adds/deletes, exec bits, symlinks, gitlinks and file<->dir swaps.
const TREE_OLD: State = {
  'README.md': '# readme\n',
  'src/a.ts': 'a\n',
  'src/lib/b.ts': 'b\n',
  'src/lib/deep/c.ts': 'c\n',
  'old-dir/x.txt': 'x\n',
  'old-dir/sub/y.txt': 'y\n',
  'run.sh': '#!/bin/sh\n',
  'tool.sh': 'tool\n',
  link: { link: 'README.md' },
  file2link: 'plain\n',
  fd: 'I become a directory\n',
  'df/z.txt': 'I become a file\n',
  'a/x': 'ax\n',
  'a.txt': 'a.txt\n',
  'a-b': 'a-b\n',
  sub: { gitlink: '1'.repeat(40) },
  'unchanged/u.txt': 'same\n',
};
const TREE_NEW: State = {
  'README.md': '# readme\nmore\n',
  'src/a.ts': 'a\n',
  'src/lib/b.ts': 'b2\n',
  'src/lib/deep/c.ts': 'c2\n',
  'run.sh': { exec: '#!/bin/sh\n' },
  'tool.sh': { exec: 'tool v2\n' },
  link: { link: 'src/a.ts' },
  file2link: { link: 'README.md' },
  'fd/inner.txt': 'inside\n',
  df: 'now a file\n',
  'a/x': 'ax2\n',
  'a.txt': 'a.txt2\n',
  'a-b': 'a-b2\n',
  sub: { gitlink: '2'.repeat(40) },
  'unchanged/u.txt': 'same\n',
  'new-dir/n1.txt': 'n1\n',
  'new-dir/deeper/n2.txt': 'n2\n',
  'ünï/日本.txt': 'こんにちは\n',
};

test('diffTrees equals git diff-tree -r --no-renames, both directions and against the empty tree', (t) => {
  const repo = new Repo();
  try {
    const a = repo.tree(repo.commit(TREE_OLD));
    const b = repo.tree(repo.commit(TREE_NEW));
    const empty = gitText(['hash-object', '-t', 'tree', '-w', '--stdin'], { cwd: repo.dir, input: '' });
    const reader = repo.reader();
    const forward = diffTrees(reader, a, b);
    t.deepEqual(forward, gitRaw(repo, a, b));
    t.deepEqual(diffTrees(reader, b, a), gitRaw(repo, b, a));
    t.deepEqual(diffTrees(reader, undefined, b), gitRaw(repo, empty, b));
    t.deepEqual(diffTrees(reader, a, undefined), gitRaw(repo, a, empty));
    t.deepEqual(diffTrees(reader, a, a), []);
    t.deepEqual(diffTrees(reader, undefined, undefined), []);
    // Spot checks that make the expectations readable, not just "equal to git".
    const find = (p: string) => forward.filter((c) => c.path === p).map((c) => c.status);
    t.deepEqual(find('file2link'), ['type_changed']);
    t.deepEqual(find('run.sh'), ['modified']);
    t.deepEqual(find('fd'), ['deleted']);
    t.deepEqual(find('fd/inner.txt'), ['added']);
    t.deepEqual(find('sub'), ['modified']);
    t.true(forward.findIndex((c) => c.path === 'a.txt') < forward.findIndex((c) => c.path === 'a/x'));
  } finally {
    removeTempDir(repo.dir);
  }
});

test('pathChanged agrees with git diff-tree --quiet -- <path>', (t) => {
  const repo = new Repo();
  try {
    const a = repo.tree(repo.commit(TREE_OLD));
    const b = repo.tree(repo.commit(TREE_NEW));
    const reader = repo.reader();
    const paths = ['README.md', 'src', 'src/lib', 'src/a.ts', 'src/lib/deep/c.ts', 'unchanged', 'unchanged/u.txt', 'fd', 'fd/inner.txt',
      'df', 'df/z.txt', 'nope', 'nope/deeper', 'old-dir/sub', 'old-dir/sub/y.txt', 'a', 'a.txt', 'run.sh', 'sub', 'README.md/x'];
    for (const p of paths) {
      let gitSays = false;
      try {
        git(['diff-tree', '--quiet', '-r', a, b, '--', p], { cwd: repo.dir });
      } catch (e) {
        if (!(e instanceof GitCliError) || e.status !== 1) throw e;
        gitSays = true;
      }
      t.is(pathChanged(reader, a, b, p), gitSays, p);
    }
    t.true(pathChanged(reader, a, b, ''));
    t.false(pathChanged(reader, a, a, 'src'));
    t.true(pathChanged(reader, undefined, b, 'src/a.ts'));
  } finally {
    removeTempDir(repo.dir);
  }
});

test('diffTrees rejects missing objects, non-trees and truncated tree data', (t) => {
  const blob = Buffer.from('hi\n');
  const blobId = hashObject('blob', blob);
  const good = encodeTree([{ mode: '100644', name: 'f', id: blobId }]);
  const bad = good.subarray(0, good.length - 5);
  const objects = new Map<string, GitObject>([
    [blobId, { type: 'blob', data: blob }],
    [hashObject('tree', good), { type: 'tree', data: good }],
    ['b'.repeat(40), { type: 'tree', data: bad }],
  ]);
  const reader: ObjectReader = { readObject: (id) => objects.get(id) };
  t.throws(() => diffTrees(reader, 'a'.repeat(40), undefined), { instanceOf: GitFormatError, message: /missing tree/ });
  t.throws(() => diffTrees(reader, undefined, blobId), { instanceOf: GitFormatError, message: /expected a tree/ });
  t.throws(() => diffTrees(reader, 'b'.repeat(40), hashObject('tree', good)), { instanceOf: GitFormatError });
  // A blob the patch needs but the store lacks is an error, not an empty file.
  const change: FileChange = { path: 'f', status: 'added', newMode: '100644', newId: 'c'.repeat(40) };
  t.throws(() => formatPatch(reader, [change]), { instanceOf: GitFormatError, message: /missing blob/ });
  t.throws(() => formatPatch(reader, [], { context: -1 }), { instanceOf: RangeError });
  t.throws(() => formatPatch(reader, [], { abbrev: 41 }), { instanceOf: RangeError });
});

const CODE_OLD = [
  'int first(void)\n{\n\treturn 1;\n}\n\n',
  'static int second(int x)\n{\n', lines(12, '\tstep'), '\treturn x;\n}\n\n',
  `${'averyveryverylongfunctionname'.repeat(4)}(void)\n{\n`, lines(8, '\tbody'), '}\n',
].join('');
const CODE_NEW = CODE_OLD.replace('\tstep 9\n', '\tstep nine\n').replace('\tbody 6\n', '\tbody six\n').replace('\treturn 1;', '\treturn 2;');

// Every text case the patch format has: hunks at start/middle/end, merged and split hunks, function-name
// headers (including git's 80-byte cut), missing newlines, new/deleted/empty files, binary, unicode,
// quoted names, CRLF, Latin-1 bytes, exec bits, symlinks, type changes and gitlinks.
const PATCH_OLD: State = {
  'lines.txt': lines(40),
  'close.txt': lines(30),
  'code.c': CODE_OLD,
  'indent.js': 'function a() {\n  x();\n}\n\nfunction c() {\n  z();\n}\n',
  'nonl-add.txt': 'a\nb\nc',
  'nonl-remove.txt': 'x\ny\n',
  'nonl-both.txt': '1\n2',
  'gone.txt': 'bye\nnow\n',
  'empty-gone': '',
  'bin.dat': Buffer.concat([Buffer.from('head'), Buffer.alloc(4), pseudoRandomBytes(300, 1)]),
  'oldbin.dat': Buffer.from([1, 0, 2]),
  'ünï.txt': 'grüße\nwelt\n',
  'with space.txt': 'one\n',
  'q"uote\ttab.txt': 'q\n',
  'crlf.txt': 'one\r\ntwo\r\nthree\r\n',
  'latin1.txt': Buffer.from('caf\xe9\nna\xefve\n', 'latin1'),
  'run.sh': 'echo\n',
  'tool.sh': 'tool\n',
  link: { link: 'lines.txt' },
  file2link: 'plain\n',
  sub: { gitlink: '1'.repeat(40) },
  'late-binary.txt': 'text\n'.repeat(2000),
  // Function lines cut by git's 80-byte limit inside a UTF-8 character, and one that is Latin-1.
  'utf8func.txt': `f${'é'.repeat(50)}\n${lines(10, ' pad')}g café x${'ü'.repeat(40)}\n${lines(10, ' more')}`,
  'latin1func.txt': Buffer.from(`caf\xe9 function\n${lines(10, ' pad')}`, 'latin1'),
};
const PATCH_NEW: State = {
  'lines.txt': lines(40).replace('line 1\n', 'LINE 1\n').replace('line 20\n', 'line twenty\n').replace('line 40\n', 'line 40\nline 41\n'),
  'close.txt': lines(30).replace('line 10\n', 'ten\n').replace('line 16\n', 'sixteen\n').replace('line 17\n', ''),
  'code.c': CODE_NEW,
  'indent.js': 'function a() {\n  x();\n}\n\nfunction b() {\n  y();\n}\n\nfunction c() {\n  z();\n}\n',
  'nonl-add.txt': 'a\nb\nc\n',
  'nonl-remove.txt': 'x\ny',
  'nonl-both.txt': '1\n3',
  'new.txt': 'hello\nworld\n',
  'empty-new': '',
  'bin.dat': Buffer.concat([Buffer.from('head'), Buffer.alloc(4), pseudoRandomBytes(300, 2)]),
  'newbin.dat': Buffer.from([0, 0, 0]),
  'ünï.txt': 'grüße\nWelt 🌍\n',
  'with space.txt': 'two\n',
  'q"uote\ttab.txt': 'r\n',
  'crlf.txt': 'one\r\n2\r\nthree\r\n',
  'latin1.txt': Buffer.from('caf\xe9\nna\xefve!\n', 'latin1'),
  'run.sh': { exec: 'echo\n' },
  'tool.sh': { exec: 'tool v2\n' },
  link: { link: 'close.txt' },
  file2link: { link: 'lines.txt' },
  sub: { gitlink: '2'.repeat(40) },
  // A NUL after git's 8000-byte window does not make a file binary.
  'late-binary.txt': 'text\n'.repeat(2000) + '\0\n',
  'utf8func.txt': `f${'é'.repeat(50)}\n${lines(10, ' pad').replace('pad 8\n', 'pad eight\n')}g café x${'ü'.repeat(40)}\n${lines(10, ' more').replace('more 9\n', 'more nine\n')}`,
  'latin1func.txt': Buffer.from(`caf\xe9 function\n${lines(10, ' pad').replace('pad 9\n', 'pad nine\n')}`, 'latin1'),
};

test('formatPatch equals git diff --full-index byte for byte, and git diff with default abbreviation', (t) => {
  const repo = new Repo();
  try {
    const a = repo.commit(PATCH_OLD);
    const b = repo.commit(PATCH_NEW);
    const reader = repo.reader();
    const changes = diffTrees(reader, repo.tree(a), repo.tree(b));
    const expected = git(['diff', '--no-renames', '--full-index', a, b], { cwd: repo.dir });
    const ours = formatPatchBuffer(reader, changes, { abbrev: 40 });
    t.is(ours.toString('latin1'), expected.toString('latin1')); // readable failure output, exact bytes
    t.true(ours.equals(expected));
    t.is(formatPatch(reader, changes), git(['diff', '--no-renames', a, b], { cwd: repo.dir }).toString('utf8'));
    // Make sure the fixture really exercises what it claims to.
    const text = ours.toString('latin1');
    for (const needle of ['\\ No newline at end of file', 'Binary files a/bin.dat and b/bin.dat differ', 'Binary files /dev/null and b/newbin.dat differ',
      'new file mode 100644', 'deleted file mode 100644', 'old mode 100644\nnew mode 100755\n', '"a/q\\"uote\\ttab.txt"', '--- a/with space.txt\t\n',
      '"a/\\303\\274n\\303\\257.txt"', '@@ -1,4 +1,4 @@\n', ' @@ static int second(int x)\n', '-Subproject commit 1111', 'new file mode 120000',
      '@@ -6,7 +6,7 @@ f\xc3\xa9', '@@ -7,5 +7,5 @@ caf\n']) {
      t.true(text.includes(needle), needle);
    }
  } finally {
    removeTempDir(repo.dir);
  }
});

test('formatPatch honours the context option like git -U', (t) => {
  const repo = new Repo();
  try {
    const a = repo.commit(PATCH_OLD);
    const b = repo.commit(PATCH_NEW);
    const reader = repo.reader();
    const changes = diffTrees(reader, repo.tree(a), repo.tree(b));
    for (const u of [0, 1, 5, 20]) {
      const expected = git(['diff', '--no-renames', '--full-index', `-U${u}`, a, b], { cwd: repo.dir }).toString('latin1');
      t.is(formatPatchBuffer(reader, changes, { abbrev: 40, context: u }).toString('latin1'), expected, `-U${u}`);
    }
  } finally {
    removeTempDir(repo.dir);
  }
});

test('line diffs of 200 random edits (repeated lines, blanks, indentation) equal git diff exactly', (t) => {
  const rnd = prng(42);
  const vocab = ['a\n', 'b\n', 'c\n', '\n', '  x\n', '}\n', 'if (y) {\n', '    z();\n', 'foo()\n', '\tt\n', 'return;\n'];
  const pick = () => vocab[Math.floor(rnd() * vocab.length)];
  const before: State = {};
  const after: State = {};
  for (let f = 0; f < 200; f++) {
    const old = Array.from({ length: Math.floor(rnd() * (f < 190 ? 30 : 400)) }, pick);
    const neu: string[] = [];
    for (const l of old) {
      const r = rnd();
      if (r < 0.12) continue;
      if (r < 0.24) neu.push(pick());
      else if (r < 0.34) neu.push(pick(), l);
      else neu.push(l);
    }
    let x = old.join('');
    let y = neu.join('');
    if (rnd() < 0.15) x = x.slice(0, -1);
    if (rnd() < 0.15) y = y.slice(0, -1);
    before[`f${f}.txt`] = x;
    after[`f${f}.txt`] = y;
  }
  const repo = new Repo();
  try {
    const a = repo.commit(before);
    const b = repo.commit(after);
    const reader = repo.reader();
    const changes = diffTrees(reader, repo.tree(a), repo.tree(b));
    t.true(changes.length > 150);
    const expected = git(['diff', '--no-renames', '--full-index', a, b], { cwd: repo.dir }).toString('latin1');
    const ours = formatPatchBuffer(reader, changes, { abbrev: 40 }).toString('latin1');
    // Compare per file so a failure names the file instead of dumping one giant string.
    const split = (s: string) => s.split(/^(?=diff --git )/m);
    t.deepEqual(split(ours), split(expected));
  } finally {
    removeTempDir(repo.dir);
  }
});

test('diffRecords: identical input, pure insertions and deletions, and large rewrites stay fast', (t) => {
  const a = splitLines(lines(50));
  t.deepEqual(diffRecords(a, a), []);
  t.deepEqual(diffRecords([], a), [{ i1: 0, chg1: 0, i2: 0, chg2: 50 }]);
  t.deepEqual(diffRecords(a, []), [{ i1: 0, chg1: 50, i2: 0, chg2: 0 }]);
  t.deepEqual(splitLines('a\nb'), ['a\n', 'b']);
  t.deepEqual(splitLines(''), []);
  // 20k lines against 20k unrelated lines: xdiff's cut-offs keep this far from quadratic.
  const rnd = prng(7);
  const big = (tag: string) => Array.from({ length: 20000 }, () => `${tag}${Math.floor(rnd() * 50)}\n`);
  const started = Date.now();
  const changes = diffRecords(big('x'), big('x'));
  t.true(changes.length > 0);
  t.true(Date.now() - started < 10000, `took ${Date.now() - started} ms`);
});
