// The hostile corpus through POST /bundle: for every case git's fsck (or ours beyond it) refuses, a bundle of the
// case's objects (packed by `git pack-objects`) answers 422 fsck_failed naming the rule and the object, and nothing
// changes (seq, refs, object count); what is not a bundle at all answers 400. Accepted cases import. Afterwards the
// repository's own exported bundle still clones with `git clone` and passes `git fsck --strict`. And a real history
// (express) imports unchanged.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importBundle } from '../src/commands/bundle.js';
import { parseBundle } from '../src/git/bundle.js';
import { readPack } from '../src/git/pack-reader.js';
import { Repository } from '../src/store/repository.js';
import { startAgent, type InProcessAgent } from './helpers/agent.js';
import { corpus, type CorpusRef } from './helpers/fsck-corpus.js';
import { FsckOracle, ourVerdict } from './helpers/fsck-oracle.js';
import { git, gitText, makeSampleRepo, makeTempDir, removeTempDir } from './helpers/git-cli.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const cases = corpus('bundle');
let agent: InProcessAgent;
let oracle: FsckOracle;
const cleanup: string[] = [];

test.before(async () => {
  agent = await startAgent();
  oracle = new FsckOracle();
  oracle.write(cases.flatMap((c) => c.objects));
});
test.after.always(async () => {
  await agent?.close();
  oracle?.close();
  for (const d of cleanup) removeTempDir(d);
});

function bundleOf(refs: CorpusRef[], ids: string[]): Buffer {
  const header = `# v2 git bundle\n${refs.map((r) => `${r.id} ${r.name}\n`).join('')}\n`;
  return Buffer.concat([Buffer.from(header), oracle.pack(ids)]);
}

async function newRepo(name: string): Promise<Repository> {
  const res = await agent.client.post('/repos', { name });
  if (res.status !== 201) throw new Error(`create ${name}: ${res.status}`);
  return agent.store.get(name);
}

function state(repo: Repository) {
  return { seq: repo.seq, refs: repo.listRefs(''), objects: repo.objects.size, defaultBranch: repo.meta.defaultBranch };
}

/** Clones the repository's own export and runs `git fsck --strict` in the clone; returns the clone's refs. */
async function exportClonesClean(t: import('ava').ExecutionContext, repoName: string): Promise<string> {
  const res = await agent.client.get(`/repos/${repoName}/bundle`);
  t.is(res.status, 200);
  const dir = makeTempDir();
  cleanup.push(dir);
  writeFileSync(join(dir, 'export.bundle'), res.raw);
  git(['clone', '-q', '--mirror', join(dir, 'export.bundle'), join(dir, 'clone.git')]);
  git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'clone.git') });
  git(['clone', '-q', join(dir, 'export.bundle'), join(dir, 'work')]);
  return gitText(['for-each-ref', '--format=%(objectname) %(refname)'], { cwd: join(dir, 'clone.git') });
}

test.serial('every refused corpus case: 422 fsck_failed naming the rule and object, nothing changes, the export still clones clean', async (t) => {
  const repo = await newRepo('hostile');
  // Some real history first, so "nothing changed" means something.
  const sample = makeSampleRepo();
  cleanup.push(sample);
  const seed = join(sample, 'seed.bundle');
  git(['bundle', 'create', '-q', seed, '--all'], { cwd: sample });
  t.is((await agent.client.post('/repos/hostile/bundle', readFileSync(seed))).status, 200);
  const before = state(repo);
  t.true(before.objects > 50);

  const refused = cases.filter((c) => c.expect !== 'accept');
  t.true(refused.length > 100);
  for (const c of refused) {
    const expected = ourVerdict(c.objects, c.refs);
    const res = await agent.client.post('/repos/hostile/bundle', bundleOf(c.refs, c.objects.map((o) => o.id)));
    t.is(res.status, 422, `${c.name}: ${res.status} ${JSON.stringify(res.body)}`);
    t.is(res.body.error?.code, 'fsck_failed', c.name);
    t.is(res.body.error?.check, expected?.check, c.name);
    t.is(res.body.error?.object, expected?.objectId ?? null, c.name);
    t.deepEqual(state(repo), before, `${c.name} changed the repository`);
  }
  const refs = await exportClonesClean(t, 'hostile');
  t.is(refs.split('\n').length, before.refs.length);
});

test.serial('every accepted corpus case imports (under refs of its own), and the export still clones clean', async (t) => {
  const repo = await newRepo('accepted');
  const accepted = cases.filter((c) => c.expect === 'accept');
  t.true(accepted.length > 50);
  for (const [i, c] of accepted.entries()) {
    const refs = c.refs.map((r) => ({ ...r, name: r.name.replace(/^refs\/(heads|tags)\//, `refs/$1/c${i}/`) }));
    const res = await agent.client.post('/repos/accepted/bundle', bundleOf(refs, c.objects.map((o) => o.id)));
    t.is(res.status, 200, `${c.name}: ${JSON.stringify(res.body)}`);
  }
  t.true(repo.listRefs('').length >= accepted.length);
  await exportClonesClean(t, 'accepted');
});

test.serial('what is not a bundle at all is a 400, not a 422', async (t) => {
  const repo = await newRepo('garbage');
  const c = cases.find((x) => x.expect === 'refuse')!;
  const good = bundleOf(c.refs, c.objects.map((o) => o.id));
  for (const body of [Buffer.from('not a bundle'), Buffer.from('# v2 git bundle\n\n'), good.subarray(0, good.length - 30), Buffer.alloc(0)]) {
    const res = await agent.client.post('/repos/garbage/bundle', body);
    t.is(res.status, 400, JSON.stringify(res.body));
    t.is(repo.seq, 0);
  }
});

test.serial('a bundle with one clean and one hostile branch is refused whole', async (t) => {
  const repo = await newRepo('partial');
  const good = cases.find((c) => c.name === 'tree: ordinary names')!;
  const bad = cases.find((c) => c.name === 'tree: ".git"')!;
  // One bundle, two branches: a clean one and a hostile one; neither lands.
  const refs = [{ name: 'refs/heads/good', id: good.refs[0].id }, { name: 'refs/heads/bad', id: bad.refs[0].id }];
  const res = await agent.client.post('/repos/partial/bundle', bundleOf(refs, [...good.objects, ...bad.objects].map((o) => o.id)));
  t.is(res.status, 422);
  t.is(res.body.error.check, 'hasDotgit');
  t.is(repo.seq, 0);
  t.deepEqual(repo.listRefs(''), []);
  t.is(repo.objects.size, 0);
});

const EXPRESS = EXPRESS_BUNDLE;

test.serial('a real history (express) imports unchanged: every ref and object git lists', async (t) => {
  const data = readFileSync(EXPRESS);
  const repo = new Repository({ name: 'express', description: '', defaultBranch: 'main', createdAt: new Date(0).toISOString() });
  const result = await importBundle(repo, data);
  const bundle = parseBundle(data);
  const heads = gitText(['bundle', 'list-heads', EXPRESS]).split('\n').filter((l) => !l.endsWith(' HEAD')).sort();
  t.deepEqual(repo.listRefs('').map(([name, id]) => `${id} ${name}`).sort(), heads);
  t.is(result.objects, readPack(bundle.pack).length);
  t.is(repo.objects.size, result.objects);
});
