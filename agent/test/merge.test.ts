// Merge bases and three-way tree merges against the git CLI (`git merge-base`, `git merge-tree --write-tree`).
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAncestor, mergeBases } from '../src/git/merge-base.js';
import { mergeCommits, mergeText, mergeTrees, type MergeWriter } from '../src/git/merge.js';
import {
  GitFormatError, MODE_TREE, OBJECT_TYPES, decodeTree, hashObject, type GitObject, type ObjectId, type ObjectReader, type ObjectType,
} from '../src/git/objects.js';
import { GIT_ENV, GitCliError, catAllObjects, git, gitText, makeTempRepo, prng, pseudoRandomBytes, removeTempDir } from './helpers/git-cli.js';

type FileSpec = string | Buffer | { exec: string } | { link: string };
type State = Record<string, FileSpec>;

/** A scratch repository whose commits are whole work-tree states, made with plumbing so HEAD never matters. */
class Repo {
  readonly dir = makeTempRepo();
  private tick = 0;

  text(args: string[]): string {
    return gitText(args, { cwd: this.dir });
  }

  /** `date` overrides the commit time (seconds), to build histories with clock skew. */
  commit(state: State, parents: string[] = [], date?: number): string {
    for (const name of readdirSync(this.dir)) if (name !== '.git') rmSync(join(this.dir, name), { recursive: true, force: true });
    for (const [path, spec] of Object.entries(state)) {
      const full = join(this.dir, path);
      mkdirSync(dirname(full), { recursive: true });
      if (typeof spec === 'string' || Buffer.isBuffer(spec)) writeFileSync(full, spec);
      else if ('exec' in spec) {
        writeFileSync(full, spec.exec);
        chmodSync(full, 0o755);
      } else symlinkSync(spec.link, full);
    }
    git(['add', '-A'], { cwd: this.dir });
    const tree = this.text(['write-tree']);
    const when = `${date ?? 1700000000 + ++this.tick * 60} +0000`;
    const env = { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when };
    return gitText(['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-m', `c${++this.tick}`], { cwd: this.dir, env });
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

  /** `git merge-tree --write-tree --name-only`: exit 0 clean, 1 conflicted (anything else is a test bug). */
  mergeTree(ours: string, theirs: string): { clean: boolean; tree: string; conflicted: string[] } {
    const args = ['merge-tree', '--write-tree', '--name-only', '--allow-unrelated-histories', ours, theirs];
    const r = spawnSync('git', args, { cwd: this.dir, env: { ...process.env, ...GIT_ENV } });
    if (r.status !== 0 && r.status !== 1) throw new Error(`merge-tree failed: ${r.stderr}`);
    const [head] = r.stdout.toString('utf8').split('\n\n');
    const [tree, ...conflicted] = head.split('\n').filter((l) => l !== '');
    return { clean: r.status === 0, tree, conflicted };
  }
}

/** Records every write; the store behind it is the test's object map. */
class RecordingWriter implements MergeWriter {
  readonly written = new Map<ObjectId, GitObject>();
  calls = 0;
  writeObject(type: ObjectType, data: Buffer): ObjectId {
    this.calls++;
    const id = hashObject(type, data);
    this.written.set(id, { type, data });
    return id;
  }
}

/** Every object under `tree` must be readable from the repository or from what the merge wrote. */
function assertComplete(reader: ObjectReader, w: RecordingWriter, tree: ObjectId): number {
  const read = (id: ObjectId) => w.written.get(id) ?? reader.readObject(id);
  let count = 0;
  const walk = (id: ObjectId) => {
    const obj = read(id);
    if (!obj || obj.type !== 'tree') throw new Error(`tree ${id} missing`);
    for (const e of decodeTree(obj.data)) {
      count++;
      if (e.mode === MODE_TREE) walk(e.id);
      else if (e.mode !== '160000' && !read(e.id)) throw new Error(`blob ${e.id} missing`);
    }
  };
  walk(tree);
  return count;
}

const numbered = (n: number, tag = 'line') => Array.from({ length: n }, (_, i) => `${tag} ${i + 1}\n`).join('');
const edit = (text: string, from: string, to: string) => {
  if (!text.includes(from)) throw new Error(`fixture: ${from} not found`);
  return text.replace(from, to);
};

interface Scenario {
  name: string;
  base: State;
  ours: State;
  theirs: State;
  /** Paths we must report; undefined for a clean merge. */
  conflicts?: string[];
}

const BASE: State = {
  'doc.txt': numbered(30),
  'other.txt': 'other\n',
  'keep.txt': 'keep\n',
  'dir/a.txt': 'a\n',
  'dir/b.txt': 'b\n',
  'dir/sub/c.txt': 'c\n',
  'tool.sh': 'tool\n',
  link: { link: 'doc.txt' },
  'nonl.txt': 'one\ntwo\nthree\nfour\nfive\nsix\nseven',
  'bin.dat': Buffer.concat([Buffer.alloc(3), pseudoRandomBytes(200, 5)]),
};
const withChanges = (changes: Record<string, FileSpec | null>): State => {
  const s: State = { ...BASE };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete s[k];
    else s[k] = v;
  }
  return s;
};

const SCENARIOS: Scenario[] = [
  { name: 'non-overlapping edits in one file', base: BASE,
    ours: withChanges({ 'doc.txt': edit(numbered(30), 'line 3\n', 'three\n') }),
    theirs: withChanges({ 'doc.txt': edit(numbered(30), 'line 20\n', 'twenty\n') }) },
  { name: 'edits on both sides of a file without a final newline', base: BASE,
    ours: withChanges({ 'nonl.txt': 'ONE\ntwo\nthree\nfour\nfive\nsix\nseven' }),
    theirs: withChanges({ 'nonl.txt': 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n' }) },
  { name: 'different files, adds in different new directories', base: BASE,
    ours: withChanges({ 'other.txt': 'other 2\n', 'new/ours/x.txt': 'x\n' }),
    theirs: withChanges({ 'keep.txt': 'keep 2\n', 'new/theirs/y.txt': 'y\n', 'dir/sub/d.txt': 'd\n' }) },
  { name: 'delete on one side, unchanged on the other; whole directory deleted', base: BASE,
    ours: withChanges({ 'other.txt': null, 'dir/sub/c.txt': null }),
    theirs: withChanges({ 'doc.txt': edit(numbered(30), 'line 1\n', 'first\n') }) },
  { name: 'both delete different files, leaving a directory empty', base: BASE,
    ours: withChanges({ 'dir/a.txt': null, 'dir/sub/c.txt': null }),
    theirs: withChanges({ 'dir/b.txt': null }) },
  { name: 'identical changes on both sides plus one-sided ones', base: BASE,
    ours: withChanges({ 'doc.txt': edit(numbered(30), 'line 10\n', 'ten\n'), 'same/new.txt': 'same\n', 'keep.txt': 'k\n' }),
    theirs: withChanges({ 'doc.txt': edit(edit(numbered(30), 'line 10\n', 'ten\n'), 'line 28\n', '28\n'), 'same/new.txt': 'same\n' }) },
  { name: 'exec bit on one side, content on the other', base: BASE,
    ours: withChanges({ 'tool.sh': { exec: 'tool\n' } }),
    theirs: withChanges({ 'tool.sh': 'tool v2\n' }) },
  { name: 'file replaced by a directory on one side only', base: BASE,
    ours: withChanges({ 'other.txt': null, 'other.txt/inside': 'now a dir\n' }),
    theirs: withChanges({ 'keep.txt': 'changed\n' }) },
  { name: 'directory replaced by a file on one side only', base: BASE,
    ours: withChanges({ 'dir/sub/c.txt': null, 'dir/sub': 'now a file\n' }),
    theirs: withChanges({ 'dir/a.txt': 'a2\n' }) },
  { name: 'symlink retargeted on one side', base: BASE,
    ours: withChanges({ link: { link: 'other.txt' } }),
    theirs: withChanges({ 'other.txt': 'o\n' }) },
  { name: 'add/add where one side added an empty file (clean two-way merge in git)', base: BASE,
    ours: withChanges({ 'added.txt': '' }),
    theirs: withChanges({ 'added.txt': 'content\n' }) },
  { name: 'one side deletes a directory, the other adds a file in it', base: BASE,
    ours: withChanges({ 'dir/a.txt': null, 'dir/b.txt': null, 'dir/sub/c.txt': null }),
    theirs: withChanges({ 'dir/sub/new.txt': 'new\n' }) },
  { name: 'both add different files to the same new directory', base: BASE,
    ours: withChanges({ 'fresh/one.txt': '1\n' }),
    theirs: withChanges({ 'fresh/two.txt': '2\n', 'fresh/deep/three.txt': '3\n' }) },
  // Conflicts
  { name: 'both edit the same line', base: BASE, conflicts: ['doc.txt'],
    ours: withChanges({ 'doc.txt': edit(numbered(30), 'line 5\n', 'five\n') }),
    theirs: withChanges({ 'doc.txt': edit(numbered(30), 'line 5\n', 'FIVE\n') }) },
  { name: 'edits on adjacent lines', base: BASE, conflicts: ['doc.txt'],
    ours: withChanges({ 'doc.txt': edit(numbered(30), 'line 5\n', 'five\n') }),
    theirs: withChanges({ 'doc.txt': edit(numbered(30), 'line 6\n', 'six\n') }) },
  { name: 'modify/delete, also inside a deleted directory', base: BASE, conflicts: ['keep.txt', 'dir/sub/c.txt'],
    ours: withChanges({ 'keep.txt': 'changed\n', 'dir/sub/c.txt': 'c2\n' }),
    theirs: withChanges({ 'keep.txt': null, 'dir/sub/c.txt': null }) },
  { name: 'add/add with different content', base: BASE, conflicts: ['added.txt'],
    ours: withChanges({ 'added.txt': 'mine\n' }),
    theirs: withChanges({ 'added.txt': 'yours\n' }) },
  { name: 'file/directory: a file on one side, a directory on the other', base: BASE, conflicts: ['p'],
    ours: withChanges({ p: 'file\n' }),
    theirs: withChanges({ 'p/q.txt': 'in dir\n' }) },
  { name: 'binary changed on both sides', base: BASE, conflicts: ['bin.dat'],
    ours: withChanges({ 'bin.dat': Buffer.concat([Buffer.alloc(3), pseudoRandomBytes(200, 6)]) }),
    theirs: withChanges({ 'bin.dat': Buffer.concat([Buffer.alloc(3), pseudoRandomBytes(200, 7)]) }) },
  { name: 'symlink retargeted differently', base: BASE, conflicts: ['link'],
    ours: withChanges({ link: { link: 'other.txt' } }),
    theirs: withChanges({ link: { link: 'keep.txt' } }) },
  { name: 'symlink turned into a file on one side, retargeted on the other', base: BASE, conflicts: ['link'],
    ours: withChanges({ link: 'plain\n' }),
    theirs: withChanges({ link: { link: 'keep.txt' } }) },
  { name: 'mode conflict: a symlink becomes a plain file on one side and an executable on the other', base: BASE, conflicts: ['link'],
    ours: withChanges({ link: 'same\n' }),
    theirs: withChanges({ link: { exec: 'same\n' } }) },
];

for (const s of SCENARIOS) {
  test(`mergeTrees vs git merge-tree: ${s.name}`, (t) => {
    const repo = new Repo();
    try {
      const base = repo.commit(s.base);
      const ours = repo.commit(s.ours, [base]);
      const theirs = repo.commit(s.theirs, [base]);
      const expected = repo.mergeTree(ours, theirs);
      const reader = repo.reader();
      const writer = new RecordingWriter();
      const result = mergeTrees(reader, writer, repo.tree(base), repo.tree(ours), repo.tree(theirs));
      if (!s.conflicts) {
        t.true(expected.clean, 'git merges this cleanly');
        t.deepEqual(result, { clean: true, tree: expected.tree });
        t.true(assertComplete(reader, writer, expected.tree) > 0);
        for (const [id, obj] of writer.written) t.is(hashObject(obj.type, obj.data), id);
      } else {
        t.false(expected.clean, 'git reports a conflict');
        t.is(writer.calls, 0, 'nothing written on conflict');
        if (result.clean) return t.fail('expected a conflict');
        const paths = [...new Set(result.conflicts.map((c) => c.path))].sort();
        t.deepEqual(paths, [...s.conflicts].sort());
        // git names a file displaced by a directory "p~<side>"; everything else matches exactly.
        t.deepEqual([...new Set(expected.conflicted.map((p) => p.replace(/~[^/~]+$/, '')))].sort(), paths);
      }
    } finally {
      removeTempDir(repo.dir);
    }
  });
}

test('mergeTrees: trivial merges write nothing; undefined base is an empty tree; bad input throws', (t) => {
  const repo = new Repo();
  try {
    const a = repo.commit({ 'x.txt': 'x\n' });
    const b = repo.commit({ 'x.txt': 'x\n', 'y.txt': 'y\n' }, [a]);
    const c = repo.commit({ 'z.txt': 'z\n' });
    const reader = repo.reader();
    const w = new RecordingWriter();
    const [ta, tb, tc] = [repo.tree(a), repo.tree(b), repo.tree(c)];
    t.deepEqual(mergeTrees(reader, w, ta, ta, tb), { clean: true, tree: tb });
    t.deepEqual(mergeTrees(reader, w, ta, tb, ta), { clean: true, tree: tb });
    t.deepEqual(mergeTrees(reader, w, ta, tb, tb), { clean: true, tree: tb });
    t.is(w.calls, 0);
    // Unrelated histories: both sides are additions against nothing.
    const unrelated = mergeTrees(reader, w, undefined, tb, tc);
    t.true(unrelated.clean);
    if (unrelated.clean) t.is(unrelated.tree, repo.mergeTree(b, c).tree);
    t.throws(() => mergeTrees(reader, w, undefined, b, tc), { instanceOf: GitFormatError, message: /expected a tree/ });
    t.throws(() => mergeTrees(reader, w, 'f'.repeat(40), tb, tc), { instanceOf: GitFormatError, message: /missing tree/ });
    // A writer that stores something else than asked is caught, not trusted.
    const liar: MergeWriter = { writeObject: () => '0'.repeat(40) };
    t.throws(() => mergeTrees(reader, liar, undefined, tb, tc), { message: /writer stored/ });
  } finally {
    removeTempDir(repo.dir);
  }
});

test('content merges of 150 random edit pairs: clean results and conflicts equal git file by file', (t) => {
  const rnd = prng(99);
  const vocab = ['a\n', 'b\n', 'c\n', '\n', '  x\n', '}\n', 'd\n', 'e\n', 'f\n', 'g\n', 'h\n'];
  const pick = () => vocab[Math.floor(rnd() * vocab.length)];
  const mutate = (lines: string[], p: number) => {
    const out: string[] = [];
    for (const l of lines) {
      const r = rnd();
      if (r < p) continue;
      if (r < 2 * p) out.push(pick());
      else if (r < 3 * p) out.push(pick(), l);
      else out.push(l);
    }
    return out;
  };
  const base: State = {};
  const ours: State = {};
  const theirs: State = {};
  for (let f = 0; f < 150; f++) {
    const o = Array.from({ length: 5 + Math.floor(rnd() * 30) }, pick);
    const p = [0.03, 0.06, 0.12][f % 3];
    base[`f${f}.txt`] = o.join('');
    ours[`f${f}.txt`] = mutate(o, p).join('') + (f % 7 === 0 ? 'tail' : '');
    theirs[`f${f}.txt`] = mutate(o, p).join('');
  }
  const repo = new Repo();
  try {
    const b = repo.commit(base);
    const o = repo.commit(ours, [b]);
    const th = repo.commit(theirs, [b]);
    const expected = repo.mergeTree(o, th);
    const conflicted = new Set(expected.conflicted);
    const merged = new Map(
      repo.text(['ls-tree', expected.tree]).split('\n').map((l) => [l.split('\t')[1], l.split(' ')[2].split('\t')[0]] as const),
    );
    let clean = 0;
    for (let f = 0; f < 150; f++) {
      const name = `f${f}.txt`;
      const result = mergeText(Buffer.from(base[name] as string), Buffer.from(ours[name] as string), Buffer.from(theirs[name] as string));
      if (conflicted.has(name)) t.is(result, undefined, name);
      else {
        clean++;
        t.is(result && hashObject('blob', result), merged.get(name), name);
      }
    }
    t.true(clean > 30 && conflicted.size > 30, `a mix of outcomes (${clean} clean, ${conflicted.size} conflicted)`);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('60 random tree merges (dirs, symlinks, exec bits, file<->dir swaps): same clean trees and conflict paths as git', (t) => {
  const rnd = prng(2024);
  let uniq = 0;
  // Unrelated random lines per file keep git's rename detection (>= 50% similarity) out of play.
  const content = () => Array.from({ length: 6 }, () => `u${uniq++}-${Math.floor(rnd() * 1e9)}\n`).join('');
  const randomState = (depth = 0): State => {
    const s: State = {};
    for (const n of ['a', 'b', 'c', 'd']) {
      const r = rnd();
      if (r < 0.25) continue;
      if (r < 0.45 && depth < 2) for (const [k, v] of Object.entries(randomState(depth + 1))) s[`${n}/${k}`] = v;
      else if (r < 0.52) s[n] = { link: `t${Math.floor(rnd() * 3)}` };
      else if (r < 0.6) s[n] = { exec: content() };
      else s[n] = content();
    }
    return s;
  };
  const mutate = (base: State): State => {
    const s: State = { ...base };
    for (const [k, v] of Object.entries(base)) {
      const r = rnd();
      if (r < 0.1) delete s[k];
      else if (r < 0.3 && typeof v === 'string') {
        const ls = v.split('\n');
        ls[Math.floor(rnd() * 6)] = `e${uniq++}`;
        s[k] = ls.join('\n');
      } else if (r < 0.35 && typeof v === 'string') s[k] = { exec: v };
      else if (r < 0.38) s[k] = { link: `t${Math.floor(rnd() * 3)}` };
      else if (r < 0.41) {
        delete s[k];
        s[`${k}/x`] = content();
      }
    }
    if (rnd() < 0.3) s[`new${Math.floor(rnd() * 3)}`] = rnd() < 0.5 ? content() : 'same\n';
    const keys = Object.keys(s);
    for (const k of keys) if (keys.some((o) => o.startsWith(k + '/'))) delete s[k]; // a path cannot be file and dir at once
    return s;
  };
  const repo = new Repo();
  try {
    const cases = Array.from({ length: 60 }, () => {
      const bs = randomState();
      const base = repo.commit(bs);
      return { base, ours: repo.commit(mutate(bs), [base]), theirs: repo.commit(mutate(bs), [base]) };
    });
    const reader = repo.reader();
    let clean = 0;
    for (const [i, c] of cases.entries()) {
      const expected = repo.mergeTree(c.ours, c.theirs);
      const writer = new RecordingWriter();
      const result = mergeTrees(reader, writer, repo.tree(c.base), repo.tree(c.ours), repo.tree(c.theirs));
      if (expected.clean) {
        clean++;
        t.deepEqual(result, { clean: true, tree: expected.tree }, `case ${i}`);
      } else {
        t.is(writer.calls, 0);
        const gitPaths = [...new Set(expected.conflicted.map((p) => p.replace(/~[^/~]+$/, '')))].sort();
        t.deepEqual(result.clean ? [] : [...new Set(result.conflicts.map((x) => x.path))].sort(), gitPaths, `case ${i}`);
      }
    }
    t.true(clean > 15 && clean < 45, `a mix of outcomes (${clean} clean)`);
  } finally {
    removeTempDir(repo.dir);
  }
});

/** Criss-cross history: two branches that each merged the other, so there are two best merge bases. */
function crissCross(repo: Repo) {
  const doc = numbered(20);
  const b0 = repo.commit({ 'doc.txt': doc, 'g.txt': 'g\n', 'h.txt': 'h\n' });
  const x1 = repo.commit({ 'doc.txt': edit(doc, 'line 2\n', '2x\n'), 'g.txt': 'g\n', 'h.txt': 'h\n' }, [b0]);
  const y1 = repo.commit({ 'doc.txt': edit(doc, 'line 15\n', '15y\n'), 'g.txt': 'g\n', 'h.txt': 'h\n' }, [b0]);
  const both = edit(edit(doc, 'line 2\n', '2x\n'), 'line 15\n', '15y\n');
  // x's merge also tweaks line 15 further; y's merge keeps it. Only a merged (virtual) base makes this clean.
  const x2 = repo.commit({ 'doc.txt': edit(both, '15y\n', '15yy\n'), 'g.txt': 'g2\n', 'h.txt': 'h\n' }, [x1, y1]);
  const y2 = repo.commit({ 'doc.txt': both, 'g.txt': 'g\n', 'h.txt': 'h2\n' }, [y1, x1]);
  return { b0, x1, y1, x2, y2 };
}

test('mergeBases and isAncestor equal git merge-base --all / --is-ancestor, including criss-cross and clock skew', (t) => {
  const repo = new Repo();
  try {
    const { b0, x1, y1, x2, y2 } = crissCross(repo);
    // A side branch whose commits claim to be older than their parents (clock skew).
    const s1 = repo.commit({ 's.txt': '1\n' }, [x1], 1600000000);
    const s2 = repo.commit({ 's.txt': '2\n' }, [s1], 1500000000);
    const m = repo.commit({ 's.txt': '3\n' }, [x2, s2]);
    const orphan = repo.commit({ 'o.txt': 'o\n' });
    const reader = repo.reader();
    const commits = { b0, x1, y1, x2, y2, s1, s2, m, orphan };
    for (const [an, a] of Object.entries(commits)) {
      for (const [bn, b] of Object.entries(commits)) {
        let gitBases: string[] = [];
        try {
          gitBases = repo.text(['merge-base', '--all', a, b]).split('\n').filter(Boolean);
        } catch (e) {
          if (!(e instanceof GitCliError) || e.status !== 1) throw e; // 1 = no common ancestor
        }
        t.deepEqual(mergeBases(reader, a, b), gitBases, `merge-base ${an} ${bn}`); // same order too: newest first
        let gitAnc = true;
        try {
          git(['merge-base', '--is-ancestor', a, b], { cwd: repo.dir });
        } catch (e) {
          if (!(e instanceof GitCliError) || e.status !== 1) throw e;
          gitAnc = false;
        }
        t.is(isAncestor(reader, a, b), gitAnc, `is-ancestor ${an} ${bn}`);
      }
    }
    t.deepEqual([...mergeBases(reader, x2, y2)].sort(), [x1, y1].sort());
    t.throws(() => mergeBases(reader, 'e'.repeat(40), b0), { instanceOf: GitFormatError, message: /missing/ });
    t.throws(() => isAncestor(reader, repo.tree(b0), b0), { instanceOf: GitFormatError, message: /expected a commit/ });
  } finally {
    removeTempDir(repo.dir);
  }
});

test('mergeCommits merges criss-cross histories through a virtual base, equal to git merge-tree', (t) => {
  const repo = new Repo();
  try {
    const { x1, y1, x2, y2 } = crissCross(repo);
    const reader = repo.reader();
    const expected = repo.mergeTree(x2, y2);
    t.true(expected.clean);
    const writer = new RecordingWriter();
    const result = mergeCommits(reader, writer, x2, y2);
    t.deepEqual(result, { clean: true, tree: expected.tree, bases: repo.text(['merge-base', '--all', x2, y2]).split('\n') });
    t.deepEqual([...result.bases].sort(), [x1, y1].sort());
    assertComplete(reader, writer, expected.tree);
    // With only the first merge base, line 15 would conflict: the virtual base is what makes it clean.
    const single = mergeTrees(reader, new RecordingWriter(), repo.tree(x1), repo.tree(x2), repo.tree(y2));
    t.false(single.clean);
  } finally {
    removeTempDir(repo.dir);
  }
});
