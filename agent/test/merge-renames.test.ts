// Merges with renames against `git merge-tree --write-tree` (ort, git's defaults): generated histories where each side
// edits, renames (with and without edits), moves whole directories, copies, deletes, adds and changes modes; same tree
// id when git merges cleanly, a conflict when git conflicts. Plus the classic cases spelled out, and rename detection's
// own pieces (git's similarity estimate, its tie-breaking, git's hash order).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mergeCommits, mergeTrees, type MergeWriter } from '../src/git/merge.js';
import { hashObject, type ObjectId, type ObjectType } from '../src/git/objects.js';
import { spanHashes } from '../src/git/rename-detect.js';
import { strhash, strmapOrder } from '../src/git/strmap-order.js';
import { GIT_ENV, removeTempDir } from './helpers/git-cli.js';
import { generator } from './helpers/history-gen.js';
import { ObjectRepo, type State } from './helpers/object-repo.js';

const hashingWriter: MergeWriter = { writeObject: (type: ObjectType, data: Buffer) => hashObject(type, data) };

interface GitMerge {
  clean: boolean;
  tree: string;
  conflicted: string[];
  crashed?: string;
}

function gitMergeTree(dir: string, ours: ObjectId, theirs: ObjectId, unrelated = false): GitMerge {
  const args = ['merge-tree', '--write-tree', '--name-only', ...(unrelated ? ['--allow-unrelated-histories'] : []), ours, theirs];
  const r = spawnSync('git', args, { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  // git 2.39's ort trips an assertion on a few rename/type-change mixes; such cases have no oracle.
  if (r.status !== 0 && r.status !== 1) return { clean: false, tree: '', conflicted: [], crashed: r.stderr.toString().split('\n')[0] };
  const [head] = r.stdout.toString('utf8').split('\n\n');
  const [tree, ...conflicted] = head.split('\n').filter((l) => l !== '');
  return { clean: r.status === 0, tree, conflicted: [...new Set(conflicted.map((p) => p.replace(/~[^/~]+$/, '')))].sort() };
}

/** Whether `renamer` renamed a file (git diff -M) that `editor` changed: a merge only rename detection makes clean. */
function renameMeetsEdit(dir: string, base: ObjectId, renamer: ObjectId, editor: ObjectId): boolean {
  const diff = (args: string[]) => spawnSync('git', ['diff-tree', '-r', '--name-status', ...args], { cwd: dir }).stdout.toString().split('\n');
  const sources = diff(['-M', '--diff-filter=R', base, renamer]).map((l) => l.split('\t')[1]).filter(Boolean);
  if (sources.length === 0) return false;
  const edited = new Set(diff(['--no-renames', '--diff-filter=M', base, editor]).map((l) => l.split('\t')[1]));
  return sources.some((p) => edited.has(p));
}

test('1200 generated merges with renames: same clean tree as git merge-tree, conflict exactly when git conflicts', (t) => {
  const repo = new ObjectRepo();
  try {
    let compared = 0;
    let clean = 0;
    let renamed = 0;
    let crashed = 0;
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const gen = generator(seed);
      for (let i = 0; i < 150; i++) {
        const bs = gen.base();
        const base = repo.commit(bs);
        const ours = repo.commit(gen.side(bs), [base]);
        const theirs = repo.commit(gen.side(bs), [base]);
        const expected = gitMergeTree(repo.dir, ours, theirs);
        if (expected.crashed) {
          crashed++;
          continue;
        }
        const result = mergeCommits(repo, hashingWriter, ours, theirs);
        const label = `seed ${seed} case ${i}`;
        compared++;
        if (expected.clean) {
          clean++;
          t.deepEqual({ clean: result.clean, tree: result.clean ? result.tree : undefined }, { clean: true, tree: expected.tree }, label);
          if (renameMeetsEdit(repo.dir, base, ours, theirs) || renameMeetsEdit(repo.dir, base, theirs, ours)) renamed++;
        } else {
          t.false(result.clean, label);
          if (result.clean) continue;
          // Every path git lists as conflicted is reported; our extras are conflicts git reports without a path entry.
          const ours2 = new Set(result.conflicts.map((c) => c.path));
          for (const p of expected.conflicted) t.true(ours2.has(p), `${label}: ${p} not reported`);
          for (const c of result.conflicts) {
            if (!expected.conflicted.includes(c.path)) t.regex(c.reason, /^directory rename/, `${label}: extra ${c.path}`);
          }
        }
      }
    }
    t.log(`${compared} merges compared (${clean} clean, ${renamed} of them needing rename detection); ${crashed} skipped where git 2.39 crashed`);
    t.true(compared > 1150 && clean > 600 && renamed > 80, `${compared} compared, ${clean} clean, ${renamed} with renames`);
  } finally {
    removeTempDir(repo.dir);
  }
});

const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}\n`).join('');

test('an edit on one side and a rename on the other merge cleanly, either way round, as git does', (t) => {
  const repo = new ObjectRepo();
  try {
    const doc = lines(20, 'doc');
    const base = repo.commit({ 'x/a.txt': doc, 'x/b.txt': lines(10, 'b') });
    const renamed = repo.commit({ 'y/moved.txt': doc, 'x/b.txt': lines(10, 'b') }, [base]);
    const edited = repo.commit({ 'x/a.txt': doc.replace('doc line 3\n', 'doc line three\n'), 'x/b.txt': lines(10, 'b') }, [base]);
    const renamedAndEdited = repo.commit({ 'y/moved.txt': doc.replace('doc line 18\n', 'eighteen\n'), 'x/b.txt': lines(10, 'b') }, [base]);
    for (const [o, th] of [[renamed, edited], [edited, renamed], [renamedAndEdited, edited], [edited, renamedAndEdited]]) {
      const expected = gitMergeTree(repo.dir, o, th);
      t.true(expected.clean);
      t.deepEqual(mergeCommits(repo, hashingWriter, o, th), { clean: true, tree: expected.tree, bases: [base] });
    }
    // The merged file is at the new path, with both edits.
    const r = mergeCommits(repo, { writeObject: (type, data) => repo.put(type, data) }, renamedAndEdited, edited);
    const show = spawnSync('git', ['show', `${r.clean ? r.tree : ''}:y/moved.txt`], { cwd: repo.dir }).stdout.toString();
    t.true(show.includes('doc line three\n') && show.includes('eighteen\n'), show);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('rename conflicts git reports are reported: rename/delete, rename/rename, rename into a path the other side added', (t) => {
  const repo = new ObjectRepo();
  try {
    const doc = lines(20, 'doc');
    const base = repo.commit({ 'a.txt': doc, 'keep.txt': 'k\n' });
    const cases: [string, State, State, string][] = [
      ['rename/delete', { 'b.txt': doc, 'keep.txt': 'k\n' }, { 'keep.txt': 'k\n' }, 'b.txt'],
      ['rename/rename', { 'b.txt': doc, 'keep.txt': 'k\n' }, { 'c.txt': doc, 'keep.txt': 'k\n' }, 'a.txt'],
      ['rename/add', { 'b.txt': doc, 'keep.txt': 'k\n' }, { 'a.txt': doc.replace('doc line 1\n', 'one\n'), 'b.txt': lines(5, 'other'), 'keep.txt': 'k\n' }, 'b.txt'],
    ];
    for (const [name, o, th, path] of cases) {
      const ours = repo.commit(o, [base]);
      const theirs = repo.commit(th, [base]);
      const expected = gitMergeTree(repo.dir, ours, theirs);
      t.false(expected.clean, name);
      const r = mergeCommits(repo, hashingWriter, ours, theirs);
      t.false(r.clean, name);
      if (!r.clean) t.true(r.conflicts.some((c) => c.path === path), `${name}: ${JSON.stringify(r.conflicts)}`);
    }
    // A directory renamed on one side while the other adds a file to it: git suggests the new place and conflicts.
    const dirBase = repo.commit({ 'x/a': lines(5, 'a'), 'x/b': lines(5, 'b') });
    const moved = repo.commit({ 'y/a': lines(5, 'a'), 'y/b': lines(5, 'b') }, [dirBase]);
    const added = repo.commit({ 'x/a': lines(5, 'a'), 'x/b': lines(5, 'b'), 'x/new': lines(3, 'new') }, [dirBase]);
    t.false(gitMergeTree(repo.dir, moved, added).clean);
    const r = mergeCommits(repo, hashingWriter, moved, added);
    t.deepEqual(r.clean ? [] : r.conflicts, [{ path: 'y/new', reason: 'directory rename' }]);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('unrelated histories merge against an empty base, as git merge-tree --allow-unrelated-histories does', (t) => {
  const repo = new ObjectRepo();
  try {
    const a = repo.commit({ 'a.txt': 'a\n', 'same.txt': 's\n' });
    const b = repo.commit({ 'b.txt': 'b\n', 'same.txt': 's\n' });
    const c = repo.commit({ 'a.txt': 'different\n' });
    const clean = mergeCommits(repo, hashingWriter, a, b);
    t.deepEqual(clean, { clean: true, tree: gitMergeTree(repo.dir, a, b, true).tree, bases: [] });
    t.false(gitMergeTree(repo.dir, a, c, true).clean);
    t.false(mergeCommits(repo, hashingWriter, a, c).clean);
    // Without the flag git refuses outright.
    const refused = spawnSync('git', ['merge-tree', '--write-tree', a, b], { cwd: repo.dir });
    t.is(refused.status, 128);
    t.regex(refused.stderr.toString(), /unrelated histories/);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('mergeTrees with renames writes nothing on conflict and only complete trees when clean', (t) => {
  const repo = new ObjectRepo();
  try {
    const doc = lines(30, 'doc');
    const base = repo.tree({ 'd/a.txt': doc });
    const ours = repo.tree({ 'e/a.txt': doc });
    const theirs = repo.tree({ 'd/a.txt': doc.replace('doc line 7\n', 'seven\n') });
    const written: ObjectId[] = [];
    const w: MergeWriter = { writeObject: (type, data) => (written.push(hashObject(type, data)), hashObject(type, data)) };
    const r = mergeTrees(repo, w, base, ours, theirs);
    t.true(r.clean);
    t.is(written.length, 2, 'the subtree and the root tree; the merged file is their edited blob, already stored');
    const gone = mergeTrees(repo, { writeObject: () => t.fail('nothing may be written') as never }, base, repo.tree({}), theirs);
    t.false(gone.clean);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('spanHashes and strmap order follow git (FNV-1, 64 buckets, 4x growth, head insertion)', (t) => {
  t.is(strhash(''), 0x811c9dc5);
  t.is(strhash('a'), Math.imul(0x811c9dc5, 0x01000193) >>> 0 ^ 0x61);
  const keys = Array.from({ length: 300 }, (_, i) => `dir${i}`);
  const order = strmapOrder(keys);
  t.deepEqual([...order].sort(), [...keys].sort());
  t.notDeepEqual(order, keys);
  // Span hashes: a line is one span; CRLF counts like LF in text; trailing bytes without LF are not counted.
  t.deepEqual(spanHashes(Buffer.from('abc\r\n')), spanHashes(Buffer.from('abc\n')));
  t.is([...spanHashes(Buffer.from('abc\nxyz')).values()].reduce((a, b) => a + b, 0), 4);
  t.is([...spanHashes(Buffer.alloc(130, 'x')).values()].reduce((a, b) => a + b, 0), 128);
});
