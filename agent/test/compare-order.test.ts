// Commit order of compare against git: revListRange equals `git rev-list head ^base` (what `git log --reverse
// base..head` prints backwards) on generated histories full of merges, equal commit dates and clock skew, and on the
// express corpus; and compare through the REST API pages through every commit without a silent cutoff.
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { revListRange } from '../src/git/rev-list.js';
import { type ObjectId, type ObjectType } from '../src/git/objects.js';
import { AUTHOR, startAgent } from './helpers/agent.js';
import { catAllObjects, git, gitText, makeTempDir, prng, removeTempDir } from './helpers/git-cli.js';
import { ObjectRepo } from './helpers/object-repo.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const CORPUS = EXPRESS_BUNDLE;

function gitRevList(dir: string, include: ObjectId, exclude: ObjectId): ObjectId[] {
  const r = spawnSync('git', ['rev-list', include, `^${exclude}`], { cwd: dir });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  return r.stdout.toString().split('\n').filter(Boolean);
}

/** A random history: branches that fork and merge, with dates that tie, go backwards, or jump. */
function history(repo: ObjectRepo, seed: number): ObjectId[] {
  const rnd = prng(seed);
  const commits: ObjectId[] = [];
  const dateOf = new Map<ObjectId, number>();
  let clock = 1700000000;
  for (let i = 0; i < 40; i++) {
    const r = rnd();
    let date: number;
    if (r < 0.3) date = clock; // the same second as the previous commit
    else if (r < 0.4) date = clock - Math.floor(rnd() * 5000); // clock skew: older than its parent
    else date = clock + 1 + Math.floor(rnd() * 100);
    clock = Math.max(clock, date);
    const parents: ObjectId[] = [];
    if (commits.length > 0) {
      parents.push(commits[Math.max(0, commits.length - 1 - Math.floor(rnd() * 6))]);
      if (rnd() < 0.3 && commits.length > 3) {
        const other = commits[Math.floor(rnd() * commits.length)];
        if (!parents.includes(other)) parents.push(other);
      }
      if (rnd() < 0.05 && commits.length > 6) {
        const third = commits[Math.floor(rnd() * commits.length)];
        if (!parents.includes(third)) parents.push(third); // an octopus
      }
    }
    const id = repo.commit({ f: `${seed}-${i}\n` }, parents, date);
    dateOf.set(id, date);
    commits.push(id);
  }
  return commits;
}

test('revListRange equals git rev-list on 40 generated histories with merges, equal dates and clock skew', (t) => {
  const repo = new ObjectRepo();
  try {
    let pairs = 0;
    let nonEmpty = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const commits = history(repo, seed);
      const rnd = prng(seed * 7);
      for (let k = 0; k < 15; k++) {
        const a = commits[Math.floor(rnd() * commits.length)];
        const b = commits[Math.floor(rnd() * commits.length)];
        const expected = gitRevList(repo.dir, b, a);
        t.deepEqual(revListRange(repo, b, a), expected, `seed ${seed}: ${a}..${b}`);
        pairs++;
        if (expected.length > 1) nonEmpty++;
      }
    }
    t.log(`${pairs} ranges compared, ${nonEmpty} with more than one commit`);
    t.true(nonEmpty > 300);
  } finally {
    removeTempDir(repo.dir);
  }
});

test('revListRange equals git log --reverse a..b between the tags and branches of the express history', (t) => {
  const dir = makeTempDir();
  try {
    git(['clone', '-q', '--bare', CORPUS, join(dir, 'x.git')]);
    const gitDir = join(dir, 'x.git');
    const all = catAllObjects(gitDir);
    const reader = { readObject: (id: string) => { const o = all.get(id); return o && { type: o.type as ObjectType, data: o.data }; } };
    const refs = gitText(['for-each-ref', '--sort=creatordate', '--format=%(objectname) %(refname)', 'refs/tags', 'refs/heads'], { cwd: gitDir })
      .split('\n').map((l) => l.split(' ')[0]);
    const commitOf = (id: string) => gitText(['rev-parse', `${id}^{commit}`], { cwd: gitDir });
    const tips = [...new Set(refs.map(commitOf))];
    const rnd = prng(3);
    let compared = 0;
    let commits = 0;
    for (let i = 0; i < 60; i++) {
      const a = i < tips.length - 1 ? tips[i] : tips[Math.floor(rnd() * tips.length)];
      const b = i < tips.length - 1 ? tips[i + 1] : tips[Math.floor(rnd() * tips.length)];
      const expected = gitText(['log', '--reverse', '--format=%H', `${a}..${b}`], { cwd: gitDir }).split('\n').filter(Boolean);
      const ours = revListRange(reader, b, a).reverse();
      t.deepEqual(ours, expected, `${a}..${b}`);
      compared++;
      commits += expected.length;
    }
    t.log(`${compared} ranges of the express history, ${commits} commits in all`);
    t.true(commits > 1000);
  } finally {
    removeTempDir(dir);
  }
});

test('compare pages through every commit in git log --reverse order; aheadBy/behindBy exact; cursors pin the ends', async (t) => {
  const agent = await startAgent();
  const dir = makeTempDir();
  try {
    const c = agent.client;
    await c.post('/repos', { name: 'many' });
    const first = await c.post('/repos/many/commits', { branch: 'main', message: 'root', author: AUTHOR, files: [{ path: 'f', content: '0' }] });
    await c.post('/repos/many/branches', { name: 'topic', from: 'main' });
    // 600 commits on topic (same second for many), 3 on main: more than the old silent cutoff of 250.
    for (let i = 1; i <= 600; i++) {
      const date = `2024-05-01T12:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:00+02:00`;
      await c.post('/repos/many/commits', { branch: 'topic', message: `t${i}`, author: { ...AUTHOR, date }, files: [{ path: `t${i % 7}`, content: String(i) }] });
    }
    for (let i = 1; i <= 3; i++) await c.post('/repos/many/commits', { branch: 'main', message: `m${i}`, author: AUTHOR, files: [{ path: 'm', content: String(i) }] });
    writeFileSync(join(dir, 'b.bundle'), (await c.get('/repos/many/bundle')).raw);
    git(['clone', '-q', '--mirror', join(dir, 'b.bundle'), join(dir, 'm.git')]);
    const expected = gitText(['log', '--reverse', '--format=%H', 'main..topic'], { cwd: join(dir, 'm.git') }).split('\n');
    t.is(expected.length, 600);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const r = await c.get(`/repos/many/compare/main...topic?limit=250${next ? `&cursor=${next}` : ''}`);
      t.is(r.status, 200, JSON.stringify(r.body));
      t.is(r.body.aheadBy, 600);
      t.is(r.body.behindBy, 3);
      t.is(r.body.status, 'diverged');
      seen.push(...r.body.commits.map((x: { sha: string }) => x.sha));
      next = r.body.next;
      pages++;
      // Moving the branches between pages changes nothing for a cursor.
      if (pages === 1) await c.post('/repos/many/commits', { branch: 'topic', message: 'late', author: AUTHOR, files: [{ path: 'late', content: 'x' }] });
    } while (next);
    t.is(pages, 3);
    t.deepEqual(seen, expected);
    const dflt = await c.get('/repos/many/compare/main...topic');
    t.is(dflt.body.commits.length, 250);
    t.is(dflt.body.aheadBy, 601);
    t.truthy(dflt.body.next);
    t.is((await c.get('/repos/many/compare/main...topic?limit=1001')).status, 400);
    t.is((await c.get('/repos/many/compare/main...topic?cursor=garbage')).status, 400);
    t.truthy(first.body.sha);
  } finally {
    removeTempDir(dir);
    await agent.close();
  }
});
