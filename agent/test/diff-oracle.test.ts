// Patches against `git diff`, byte for byte, with git's defaults (Myers, the indent heuristic, xdiff's compaction and
// discarding rules): thousands of fast-check generated file pairs rich in blank lines, repeated lines and indentation
// (where sliders matter), and every commit of the express history against its first parent, with ids abbreviated as git
// abbreviates them in that repository.
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { abbreviate } from '../src/commands/revision.js';
import { decodeCommit, type ObjectType } from '../src/git/objects.js';
import { formatPatchBuffer } from '../src/git/patch.js';
import { detectDiffRenames } from '../src/git/diff-renames.js';
import { diffTrees } from '../src/git/tree-diff.js';
import { Repository } from '../src/store/repository.js';
import { catAllObjects, git, gitText, makeTempDir, removeTempDir } from './helpers/git-cli.js';
import { generator } from './helpers/history-gen.js';
import { ObjectRepo } from './helpers/object-repo.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const CORPUS = EXPRESS_BUNDLE;

const line = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('\n', '\n', '}\n', '{\n', '  }\n', 'return;\n', '\tx++;\n', '    if (y) {\n', '        z();\n', '    }\n', '// note\n', '\t\n', '  \n') },
  { weight: 3, arbitrary: fc.nat(60).map((n) => `line ${n}\n`) },
  { weight: 2, arbitrary: fc.tuple(fc.nat(3), fc.nat(25)).map(([d, n]) => `${'    '.repeat(d)}stmt${n};\n`) },
);
const edit = fc.record({ at: fc.nat(1000), remove: fc.nat(4), insert: fc.array(line, { maxLength: 6 }) });
const filePair = fc.tuple(fc.array(line, { maxLength: 70 }), fc.array(edit, { minLength: 1, maxLength: 6 }), fc.nat(9), fc.nat(9)).map(([before, edits, x, y]) => {
  const after = [...before];
  for (const e of edits) after.splice(e.at % (after.length + 1), e.remove, ...e.insert);
  let a = before.join('');
  let b = after.join('');
  if (x === 0) a = a.replace(/\n$/, ''); // files without a final newline now and then
  if (y === 0) b = b.replace(/\n$/, '');
  return [a, b] as const;
});

const splitFiles = (patch: string) => patch.split(/^(?=diff --git )/m);

test('4000 fast-check generated file pairs: formatPatchBuffer equals git diff byte for byte', (t) => {
  const repo = new ObjectRepo();
  try {
    let compared = 0;
    let changed = 0;
    for (const seed of [1, 2, 3, 4]) {
      const pairs = fc.sample(filePair, { seed, numRuns: 1000 });
      const before: Record<string, string> = {};
      const after: Record<string, string> = {};
      pairs.forEach(([a, b], i) => {
        before[`f${i}`] = a;
        after[`f${i}`] = b;
      });
      const c1 = repo.commit(before);
      const c2 = repo.commit(after, [c1]);
      const tree = (c: string) => decodeCommit(repo.readObject(c)!.data).tree;
      const expected = git(['diff', '--no-renames', '--full-index', c1, c2], { cwd: repo.dir }).toString('latin1');
      const ours = formatPatchBuffer(repo, diffTrees(repo, tree(c1), tree(c2)), { abbrev: 40 }).toString('latin1');
      const e = splitFiles(expected);
      const o = splitFiles(ours);
      t.is(o.length, e.length, `seed ${seed}`);
      for (let i = 0; i < e.length; i++) if (o[i] !== e[i]) t.is(o[i], e[i], `seed ${seed}`);
      compared += pairs.length;
      changed += e.length;
    }
    t.log(`${compared} generated pairs, ${changed} of them different files, all equal to git diff`);
    t.true(changed > 3500);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('every commit of the express history against its first parent: patches equal git diff, abbreviated ids included', (t) => {
  const dir = makeTempDir();
  try {
    const gitDir = join(dir, 'x.git');
    git(['clone', '-q', '--bare', CORPUS, gitDir]);
    const all = catAllObjects(gitDir);
    const repo = new Repository({ name: 'express', description: '', defaultBranch: 'master', createdAt: '' });
    repo.apply([...all].map(([id, o]) => ({ id, type: o.type as ObjectType, data: o.data })), []);
    const reader = repo.objects;
    const pairs: [string, string][] = [];
    for (const [id, o] of all) {
      if (o.type !== 'commit') continue;
      const c = decodeCommit(o.data);
      if (c.parents.length > 0) pairs.push([c.parents[0], id]);
    }
    // One git process for all pairs: "<commit> <parent>" lines make diff-tree print each commit's id, then its patch.
    const out = spawnSync('git', ['diff-tree', '--stdin', '-p', '-r', '--no-renames', '--full-index'], {
      cwd: gitDir, input: pairs.map(([p, c]) => `${c} ${p}\n`).join(''), maxBuffer: 1 << 30,
    }).stdout.toString('latin1');
    const expected = new Map<string, string>();
    const heads = [...out.matchAll(/^([0-9a-f]{40})\n/gm)];
    heads.forEach((m, i) => expected.set(m[1], out.slice(m.index! + m[0].length, i + 1 < heads.length ? heads[i + 1].index : out.length)));
    const treeOf = (c: string) => decodeCommit(reader.readObject(c)!.data).tree;
    let compared = 0;
    let bad = 0;
    for (const [p, c] of pairs) {
      const ours = formatPatchBuffer(reader, diffTrees(reader, treeOf(p), treeOf(c)), { abbrev: 40 }).toString('latin1');
      const theirs = expected.get(c) ?? '';
      if (ours !== theirs) {
        bad++;
        if (bad <= 3) t.is(ours, theirs, `${p}..${c}`);
      }
      compared++;
    }
    t.is(bad, 0, `${bad} of ${compared} commits differ`);
    // git diff itself — renames detected, ids abbreviated as in this repository — on every commit with a rename and
    // every 25th of the others.
    const withRenames = new Set(gitText(['log', '-M', '--diff-filter=R', '--format=%H', '--all'], { cwd: gitDir }).split('\n'));
    let porcelain = 0;
    let renames = 0;
    pairs.forEach(([p, c], i) => {
      if (i % 25 !== 0 && !withRenames.has(c)) return;
      const theirs = git(['diff', p, c], { cwd: gitDir }).toString('latin1');
      const changes = detectDiffRenames(reader, diffTrees(reader, treeOf(p), treeOf(c)));
      renames += changes.filter((x) => x.status === 'renamed').length;
      const ours = formatPatchBuffer(reader, changes, { abbreviate: (id) => abbreviate(repo, id) }).toString('latin1');
      t.is(ours, theirs, `git diff ${p} ${c}`);
      porcelain++;
    });
    t.log(`${compared} commits compared with git diff-tree -p; ${porcelain} with git diff (${renames} renames) and its abbreviations`);
    t.true(renames > 100);
    t.true(compared > 6000);
  } finally {
    removeTempDir(dir);
  }
});

test('600 generated changes with renames, moves, copies and edits: git diff (renames detected) byte for byte', (t) => {
  const repo = new ObjectRepo();
  try {
    let renames = 0;
    let compared = 0;
    for (const seed of [11, 12, 13, 14]) {
      const gen = generator(seed);
      for (let i = 0; i < 150; i++) {
        const state = gen.base();
        const a = repo.commit(state);
        const b = repo.commit(gen.side(gen.side(state)), [a]);
        const tree = (c: string) => decodeCommit(repo.readObject(c)!.data).tree;
        const expected = git(['diff', '--full-index', a, b], { cwd: repo.dir }).toString('latin1');
        const changes = detectDiffRenames(repo, diffTrees(repo, tree(a), tree(b)));
        renames += changes.filter((x) => x.status === 'renamed').length;
        t.is(formatPatchBuffer(repo, changes, { abbrev: 40 }).toString('latin1'), expected, `seed ${seed} case ${i}`);
        compared++;
      }
    }
    t.log(`${compared} generated diffs, ${renames} renames among them`);
    t.true(renames > 200);
  } finally {
    removeTempDir(repo.dir);
  }
});
