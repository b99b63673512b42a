// Revisions against `git rev-parse --verify` on one fixture repository: full and short shas (unique, ambiguous between
// kinds of object, settled by ^{commit} as git settles them), HEAD and @, ref names in git's lookup order, ~ ^ and
// ^{...} suffixes, describe output; plus the object store's prefix lookup and git's abbreviations.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GovcError } from '../src/errors.js';
import { hashObject, type ObjectType } from '../src/git/objects.js';
import { abbreviate, resolveRevision } from '../src/commands/revision.js';
import { resolveCommit } from '../src/commands/resolve.js';
import { ObjectStore } from '../src/store/object-store.js';
import { Repository } from '../src/store/repository.js';
import { GIT_ENV, catAllObjects, git, gitText, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

interface Fixture {
  dir: string;
  repo: Repository;
  commits: string[];
  /** Short prefixes that several objects share, with the types sharing them. */
  shared: { prefix: string; types: string[] }[];
}

/** A history with a merge, tags of every kind, a branch and a tag of the same name, and objects sharing short prefixes. */
function fixture(): Fixture {
  const dir = makeTempRepo();
  const run = (args: string[], env?: Record<string, string>) => gitText(args, { cwd: dir, env });
  let tick = 0;
  const commit = (file: string, text: string) => {
    writeFileSync(join(dir, file), text);
    run(['add', file]);
    const date = `${1700000000 + ++tick * 60} +0000`;
    run(['commit', '-q', '-m', `c${tick}`], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    return run(['rev-parse', 'HEAD']);
  };
  const commits = [commit('a.txt', 'one\n'), commit('a.txt', 'two\n'), commit('b.txt', 'b\n')];
  run(['checkout', '-q', '-b', 'side', commits[1]]);
  commits.push(commit('s.txt', 's1\n'), commit('s.txt', 's2\n'));
  run(['checkout', '-q', 'main']);
  commits.push(commit('c.txt', 'c\n'));
  const mergeDate = `${1700000000 + ++tick * 60} +0000`;
  run(['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], { GIT_AUTHOR_DATE: mergeDate, GIT_COMMITTER_DATE: mergeDate });
  commits.push(run(['rev-parse', 'HEAD']));
  commits.push(commit('d.txt', 'd\n'));
  const blob = run(['hash-object', '-w', 'a.txt']);
  run(['tag', 'light', commits[2]]);
  run(['tag', '-a', '-m', 'release', 'v1', commits[3]]);
  run(['tag', '-a', '-m', 'a tree', 'tree-tag', `${commits[0]}^{tree}`]);
  run(['tag', '-a', '-m', 'a blob', 'blob-tag', blob]);
  run(['tag', 'blob-light', blob]);
  run(['tag', '-a', '-m', 'tag of a tag', 'tag-of-tag', 'v1']);
  run(['branch', 'v1', commits[1]]); // a branch named like a tag: the tag wins
  run(['branch', 'feature/x', commits[4]]);
  // Blobs sharing 4-digit prefixes with commits, trees and each other, found by hashing and written only when useful.
  const all = () => catAllObjects(dir);
  const objects = all();
  const want = new Map<string, string>(); // prefix -> kind of object already there
  for (const [id, o] of objects) if (o.type !== 'blob' && !want.has(id.slice(0, 4))) want.set(id.slice(0, 4), o.type);
  const found = new Set<string>();
  const extra: string[] = [];
  for (let i = 0; i < 400000 && found.size < 6; i++) {
    const text = `filler ${i}\n`;
    const p = hashObject('blob', Buffer.from(text)).slice(0, 4);
    if (want.has(p) && !found.has(p)) {
      found.add(p);
      extra.push(text);
    }
  }
  // and two blobs sharing a prefix with each other
  const seen = new Map<string, string>();
  for (let i = 0; ; i++) {
    const text = `twin ${i}\n`;
    const p = hashObject('blob', Buffer.from(text)).slice(0, 4);
    const other = seen.get(p);
    if (other) {
      extra.push(other, text);
      break;
    }
    seen.set(p, text);
  }
  for (const text of extra) gitText(['hash-object', '-w', '--stdin'], { cwd: dir, input: text });
  const final = all();
  const byPrefix = new Map<string, string[]>();
  for (const [id, o] of final) byPrefix.set(id.slice(0, 4), [...(byPrefix.get(id.slice(0, 4)) ?? []), o.type]);
  const shared = [...byPrefix].filter(([, types]) => types.length > 1).map(([prefix, types]) => ({ prefix, types }));
  const repo = new Repository({ name: 'rev', description: '', defaultBranch: 'main', createdAt: new Date(0).toISOString() });
  const refs = run(['for-each-ref', '--format=%(objectname) %(refname)']).split('\n').map((l) => l.split(' '));
  repo.apply(
    [...final].map(([id, o]) => ({ id, type: o.type as ObjectType, data: o.data })),
    refs.map(([id, name]) => ({ name, old: null, new: id })),
  );
  return { dir, repo, commits, shared };
}

function gitRevParse(dir: string, rev: string): string | undefined {
  const r = spawnSync('git', ['rev-parse', '--verify', '-q', '--end-of-options', rev], { cwd: dir, env: { ...process.env, ...GIT_ENV } });
  return r.status === 0 ? r.stdout.toString().trim() : undefined;
}

function ours(f: (rev: string) => string, rev: string): string | { status: number; code: string } {
  try {
    return f(rev);
  } catch (e) {
    if (e instanceof GovcError) return { status: e.status, code: e.code };
    throw e;
  }
}

test('every revision form resolves to what git rev-parse --verify gives, and fails (4xx) where git fails', (t) => {
  const fx = fixture();
  try {
    const { commits } = fx;
    const revs = [
      'HEAD', '@', 'main', 'side', 'light', 'v1', 'tree-tag', 'blob-tag', 'blob-light', 'tag-of-tag', 'feature/x',
      'refs/heads/main', 'heads/main', 'tags/v1', 'refs/tags/v1', 'refs/heads/v1', 'heads/v1',
      'HEAD~', 'HEAD~1', 'HEAD~2', 'HEAD~4', 'HEAD~0', 'HEAD^', 'HEAD^1', 'HEAD^0', 'HEAD^^', 'HEAD~1^2', 'HEAD~1^2~1', 'HEAD~1^3',
      'HEAD~1^1^1', 'HEAD~100', 'side~2', 'main^{tree}', 'HEAD^{commit}', 'HEAD^{}', 'HEAD^{object}', 'HEAD^{tag}', 'HEAD^{blob}',
      'v1^{}', 'v1^{commit}', 'v1^{tree}', 'v1^{tag}', 'v1^{object}', 'v1~1', 'v1^', 'v1^0', 'tag-of-tag^{}', 'tag-of-tag^{tag}',
      'tag-of-tag^{commit}', 'tree-tag^{}', 'tree-tag^{tree}', 'tree-tag^{commit}', 'blob-tag^{}', 'blob-tag^{blob}', 'blob-tag^{tree}',
      'blob-light^{commit}', 'blob-light~1', 'blob-light^{blob}', 'light^{tag}', 'light~1', `${commits[0]}^`, `${commits[0]}~1`,
      'nope', 'nope~1', 'main~', 'main~~', 'main^^^', 'ma', 'HEAD^{nope}', 'HEAD^{/c1}', 'HEAD@{0}', 'HEAD:a.txt', '^HEAD', 'HEAD~x',
      `v1-2-g${commits[7].slice(0, 7)}`, `anything-g${commits[2].slice(0, 9)}`,
    ];
    for (const id of commits) {
      revs.push(id, id.toUpperCase(), id.slice(0, 4), id.slice(0, 7), id.slice(0, 12), id.slice(0, 39), `${id.slice(0, 8)}~1`, `${id.slice(0, 6)}^{tree}`);
    }
    for (const { prefix } of fx.shared) revs.push(prefix, `${prefix}^{commit}`, `${prefix}^{tree}`, `${prefix}~0`, `${prefix}^{}`, `${prefix}^{blob}`);
    t.true(fx.shared.some((s) => s.types.includes('commit')), 'a short sha shared by a commit and a blob');
    t.true(fx.shared.some((s) => s.types.filter((x) => x === 'blob').length > 1), 'a short sha shared by two blobs');
    let agreed = 0;
    let failedBoth = 0;
    for (const rev of revs) {
      const got = ours((r) => resolveRevision(fx.repo, r), rev);
      if (rev.includes('@{') || rev.includes('^{/') || rev.includes(':')) {
        // Reflogs are not kept, message searches and <rev>:<path> not offered: refused as a bad revision, whatever git says.
        t.deepEqual(got, { status: 400, code: 'invalid_revision' }, rev);
        t.deepEqual(ours((r) => resolveCommit(fx.repo, r), rev), { status: 400, code: 'invalid_revision' }, rev);
        continue;
      }
      let expected = gitRevParse(fx.dir, rev);
      if (expected?.startsWith('^')) expected = undefined; // a range's negative end, not one object
      if (expected === undefined) {
        t.true(typeof got === 'object' && got.status >= 400 && got.status < 500, `${rev}: git fails, we gave ${JSON.stringify(got)}`);
        failedBoth++;
      } else {
        t.is(got, expected, rev);
        agreed++;
      }
      // The commit endpoints read `<rev>` as `git rev-parse <rev>^{commit}` does.
      const asCommit = rev.startsWith('^') ? undefined : gitRevParse(fx.dir, `${rev}^{commit}`);
      const gotCommit = ours((r) => resolveCommit(fx.repo, r), rev);
      if (asCommit === undefined) t.true(typeof gotCommit === 'object', `${rev}^{commit}: git fails, we gave ${JSON.stringify(gotCommit)}`);
      else t.is(gotCommit, asCommit, `${rev}^{commit}`);
    }
    t.log(`${revs.length} revisions: ${agreed} resolved as git does, ${failedBoth} refused as git refuses them`);
    t.true(agreed > 60 && failedBoth > 20);
    // Hostile lengths are refused up front; long suffix chains are walked in linear time.
    t.deepEqual(ours((r) => resolveRevision(fx.repo, r), `HEAD${'^'.repeat(5000)}`), { status: 400, code: 'invalid_revision' });
    t.deepEqual(ours((r) => resolveRevision(fx.repo, r), `HEAD${'^{}'.repeat(1300)}`), gitRevParse(fx.dir, `HEAD${'^{}'.repeat(1300)}`));
    t.deepEqual(ours((r) => resolveRevision(fx.repo, r), `HEAD${'~'.repeat(4000)}`), { status: 404, code: 'revision_not_found' });
    // Ambiguity is a 400 naming the candidates.
    const twins = fx.shared.find((s) => s.types.every((x) => x === 'blob'))!;
    const err = t.throws(() => resolveRevision(fx.repo, twins.prefix), { instanceOf: GovcError });
    t.is(err?.code, 'ambiguous_revision');
    t.is(err?.status, 400);
    t.is((err?.details?.candidates as unknown[]).length, 2);
    t.regex(err!.message, new RegExp(twins.prefix));
  } finally {
    removeTempDir(fx.dir);
  }
});

test('idsWithPrefix finds exactly the ids with a prefix across table sizes; abbreviations equal git log --format=%h', (t) => {
  const store = new ObjectStore();
  const ids: string[] = [];
  for (let i = 0; i < 20000; i++) {
    ids.push(store.put('blob', Buffer.from(`blob ${i}\n`)));
    if (i % 4999 === 0) {
      for (const id of ids.slice(-5)) {
        for (const len of [1, 2, 3, 4, 5, 7, 9, 40]) {
          const p = id.slice(0, len);
          t.deepEqual(store.idsWithPrefix(p, 100000).sort(), ids.filter((x) => x.startsWith(p)).sort(), `${p} with ${ids.length} ids`);
        }
      }
    }
  }
  t.deepEqual(store.idsWithPrefix('zz'), []);
  t.is(store.idsWithPrefix(ids[0].slice(0, 1), 3).length, 3);

  const dir = makeTempRepo();
  try {
    // A packed repository, as git counts only packed objects for its automatic abbreviation length.
    for (let i = 0; i < 40; i++) {
      writeFileSync(join(dir, `f${i % 7}`), `content ${i}\n`);
      git(['add', '-A'], { cwd: dir });
      git(['commit', '-q', '-m', `c${i}`], { cwd: dir });
    }
    for (let i = 0; i < 3000; i++) gitText(['hash-object', '-w', '--stdin'], { cwd: dir, input: `loose ${i}\n` });
    git(['repack', '-adq'], { cwd: dir });
    const repo = new Repository({ name: 'abbrev', description: '', defaultBranch: 'main', createdAt: '' });
    repo.apply([...catAllObjects(dir)].map(([id, o]) => ({ id, type: o.type as ObjectType, data: o.data })), []);
    const lines = gitText(['log', '--format=%H %h %T %t'], { cwd: dir }).split('\n');
    for (const l of lines) {
      const [full, short, tree, shortTree] = l.split(' ');
      t.is(abbreviate(repo, full), short);
      t.is(abbreviate(repo, tree), shortTree);
    }
  } finally {
    removeTempDir(dir);
  }
});
