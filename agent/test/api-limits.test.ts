// Limits through the REST API: decompression bombs, oversized objects and imports, too many objects, trees too deep and
// paths too long are refused with their codes (413/422) and change nothing; REST commits keep the same limits; large
// base64 contents commit (the regex that checked them overflowed the stack at ~3 MB); an import whose branch moved while
// its worker ran fails its compare-and-swap and changes nothing.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCommit } from '../src/commands/commit.js';
import { importBundle } from '../src/commands/bundle.js';
import { GovcError } from '../src/errors.js';
import { Repository } from '../src/store/repository.js';
import { startAgent, AUTHOR, commitBody, type InProcessAgent } from './helpers/agent.js';
import { git, makeSampleRepo, makeTempDir, removeTempDir } from './helpers/git-cli.js';
import { deepTreeBundle, deltaBombBundle, longPathBundle, zeroBlobBundle } from './helpers/hostile-bundles.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const cleanup: string[] = [];
let sampleBundle: Buffer;
let oldMainBundle: Buffer;
test.before(() => {
  const repo = makeSampleRepo();
  const dir = makeTempDir();
  cleanup.push(repo, dir);
  git(['bundle', 'create', '-q', join(dir, 'all.bundle'), '--all'], { cwd: repo });
  sampleBundle = readFileSync(join(dir, 'all.bundle'));
  // the same history with main three commits back, as an older copy of the repository would have it
  const old = join(dir, 'old');
  git(['clone', '-q', repo, old]);
  git(['reset', '-q', '--hard', 'HEAD~3'], { cwd: old });
  git(['bundle', 'create', '-q', join(dir, 'old.bundle'), 'main'], { cwd: old });
  oldMainBundle = readFileSync(join(dir, 'old.bundle'));
});
test.after.always(() => {
  for (const d of cleanup) removeTempDir(d);
});

async function withAgent(limits: Parameters<typeof startAgent>[0] = {}, fn: (a: InProcessAgent) => Promise<void>): Promise<void> {
  const a = await startAgent(limits);
  try {
    await fn(a);
  } finally {
    await a.close();
  }
}

/** Imports `bundle` into a fresh repository and checks the refusal and that nothing changed. */
async function refused(t: import('ava').ExecutionContext, a: InProcessAgent, bundle: Buffer, status: number, code: string): Promise<void> {
  const name = `r${Math.random().toString(36).slice(2, 8)}`;
  await a.client.post('/repos', { name });
  const r = await a.client.post(`/repos/${name}/bundle`, bundle);
  t.is(r.status, status, JSON.stringify(r.body));
  t.is(r.body.error?.code, code);
  t.is(a.store.get(name).objects.size, 0);
  t.deepEqual(a.store.get(name).listRefs(), []);
  t.is(a.store.get(name).seq, 0);
}

test('bombs: a 512 MiB blob of zeros in a ~510 KiB bundle is 413 object_too_large; a lying size header is 400', async (t) => {
  const bomb = await zeroBlobBundle(512 * 2 ** 20);
  t.true(bomb.length < 600 * 1024, `${bomb.length}`);
  await withAgent({}, async (a) => {
    await refused(t, a, bomb, 413, 'object_too_large');
    // the header says 1000 bytes: inflating stops there, however much the stream would produce
    await refused(t, a, await zeroBlobBundle(64 * 2 ** 20, 1000), 400, 'invalid_bundle');
  });
});

test('bombs: deltas describing a 512 MiB object, or 25 of 90 MiB, are refused from their headers (413)', async (t) => {
  await withAgent({}, async (a) => {
    await refused(t, a, deltaBombBundle(512 * 2 ** 20), 413, 'object_too_large');
    await refused(t, a, deltaBombBundle(90 * 2 ** 20, 25), 413, 'import_too_large');
  });
});

test('limits: objects per import, bytes per import, bytes per object (413), then the same bundle within limits imports', async (t) => {
  await withAgent({ limits: { maxImportObjects: 20 } }, async (a) => refused(t, a, sampleBundle, 413, 'too_many_objects'));
  await withAgent({ limits: { maxImportBytes: 20_000 } }, async (a) => refused(t, a, sampleBundle, 413, 'import_too_large'));
  await withAgent({ limits: { maxObjectBytes: 4000 } }, async (a) => refused(t, a, sampleBundle, 413, 'object_too_large'));
  await withAgent({}, async (a) => {
    await a.client.post('/repos', { name: 'ok' });
    const r = await a.client.post('/repos/ok/bundle', sampleBundle);
    t.is(r.status, 200);
    t.true(r.body.objects > 20);
  });
});

test('limits: a tree nested deeper than 2048 levels is 422 tree_too_deep; a path over 4096 bytes is 422 path_too_long', async (t) => {
  await withAgent({}, async (a) => {
    await refused(t, a, deepTreeBundle(2100), 422, 'tree_too_deep');
    await refused(t, a, longPathBundle(17, 250), 422, 'path_too_long');
    // at the limits: 2047 directories + the file = 2048 components; 16 × 251 + 1 = 4017 bytes
    for (const [name, bundle] of [['deep', deepTreeBundle(2047)], ['long', longPathBundle(16, 250)]] as const) {
      await a.client.post('/repos', { name });
      const r = await a.client.post(`/repos/${name}/bundle`, bundle);
      t.is(r.status, 200, `${name}: ${JSON.stringify(r.body)}`);
    }
  });
});

test('REST commits: a file over the object limit is 413, a path over the limits is 422, nothing changes', async (t) => {
  await withAgent({ limits: { maxObjectBytes: 2 ** 20, maxTreeDepth: 8, maxPathBytes: 200 } }, async (a) => {
    await a.client.post('/repos', { name: 'c' });
    t.is((await a.client.post('/repos/c/commits', commitBody('main', { 'a.txt': 'a' }))).status, 201);
    const head = a.store.get('c').getRef('refs/heads/main');
    const objects = a.store.get('c').objects.size;
    const big = Buffer.alloc(2 ** 20 + 1, 'z');
    const cases: [unknown, number, string][] = [
      [commitBody('main', { 'big.txt': big.toString() }), 413, 'object_too_large'],
      [{ ...commitBody('main', {}), files: [{ path: 'big.bin', content: big.toString('base64'), encoding: 'base64' }] }, 413, 'object_too_large'],
      [commitBody('main', { ['d/'.repeat(8) + 'f']: 'x' }), 422, 'tree_too_deep'],
      [commitBody('main', { ['ü'.repeat(101)]: 'x' }), 422, 'path_too_long'],
    ];
    for (const [body, status, code] of cases) {
      const r = await a.client.post('/repos/c/commits', body);
      t.is(r.status, status, JSON.stringify(r.body).slice(0, 300));
      t.is(r.body.error?.code, code);
    }
    t.is(a.store.get('c').getRef('refs/heads/main'), head);
    t.is(a.store.get('c').objects.size, objects);
    t.is((await a.client.post('/repos/c/commits', commitBody('main', { ['d/'.repeat(7) + 'f']: 'x' }))).status, 201);
  });
});

test('REST commits: base64 contents of 3.3 MB and 40 MiB commit (the old regex overflowed the stack) and read back exactly', async (t) => {
  await withAgent({}, async (a) => {
    await a.client.post('/repos', { name: 'b' });
    for (const [path, size] of [['small.bin', 2.5 * 2 ** 20], ['large.bin', 30 * 2 ** 20]] as const) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < data.length; i += 4096) data.writeUInt32LE((i * 2654435761) >>> 0, i);
      const body = { branch: 'main', message: `add ${path}`, author: AUTHOR, files: [{ path, content: data.toString('base64'), encoding: 'base64' }] };
      const r = await a.client.post('/repos/b/commits', body);
      t.is(r.status, 201, JSON.stringify(r.body));
      const back = await a.client.get(`/repos/b/files/${path}`);
      t.is(back.status, 200);
      t.true(back.raw.equals(data));
    }
    // invalid base64 in a large body is still 400 invalid_base64, and changes nothing
    const bad = Buffer.alloc(3 * 2 ** 20, 1).toString('base64').slice(0, -4) + '!!!!';
    const r = await a.client.post('/repos/b/commits', { branch: 'main', message: 'bad', author: AUTHOR, files: [{ path: 'bad.bin', content: bad, encoding: 'base64' }] });
    t.is(r.status, 400);
    t.is(r.body.error.code, 'invalid_base64');
  });
});

test('large JSON bodies parsed in a worker refuse what small ones refuse: bad JSON, prototype keys', async (t) => {
  await withAgent({}, async (a) => {
    await a.client.post('/repos', { name: 'j' });
    const pad = 'x'.repeat(2 ** 20);
    for (const text of [`{"branch":"main","message":"${pad}"`, `{"branch":"main","message":"${pad}","__proto__":{"x":1}}`,
      `{"branch":"main","message":"${pad}","author":{"constructor":{"prototype":{}}}}`]) {
      const r = await a.client.request('POST', '/repos/j/commits', text, { 'content-type': 'application/json' });
      t.is(r.status, 400);
      t.is(r.body.error.code, 'invalid_json');
    }
    const ok = await a.client.post('/repos/j/commits', { ...commitBody('main', { 'big.txt': pad }) });
    t.is(ok.status, 201);
    t.is((await a.client.get('/repos/j/files/big.txt')).raw.toString(), pad);
  });
});

test('an import whose branch moved while its worker ran fails the compare-and-swap (409) and changes nothing else', async (t) => {
  const repo = new Repository({ name: 'cas', description: '', defaultBranch: 'main', createdAt: new Date().toISOString() });
  await importBundle(repo, oldMainBundle);
  const before = repo.getRef('refs/heads/main');
  t.truthy(before);
  const pending = importBundle(repo, sampleBundle);
  // the worker has its snapshot; the branch moves meanwhile
  const c = createCommit(repo, {
    branch: 'main', message: 'meanwhile\n', author: { name: 'A', email: 'a@x', timestamp: 1, timezone: '+0000' },
    committer: { name: 'A', email: 'a@x', timestamp: 1, timezone: '+0000' }, files: [{ path: 'm.txt', content: Buffer.from('m'), mode: '100644' }], deletes: [],
  });
  const objects = repo.objects.size;
  const err = await t.throwsAsync(pending, { instanceOf: GovcError });
  t.is(err?.status, 409);
  t.is(err?.code, 'ref_conflict');
  t.is(repo.getRef('refs/heads/main'), c.sha);
  t.is(repo.objects.size, objects);
  t.is(repo.getRef('refs/heads/feature'), undefined);
});

test('a repository deleted while its import runs: 404, and the import leaves nothing behind', async (t) => {
  await withAgent({}, async (a) => {
    await a.client.post('/repos', { name: 'gone' });
    const pending = a.client.post('/repos/gone/bundle', readFileSync(EXPRESS_BUNDLE));
    await new Promise((r) => setTimeout(r, 100));
    t.is((await a.client.delete('/repos/gone')).status, 204);
    const r = await pending;
    t.is(r.status, 404);
    t.false(a.store.has('gone'));
  });
});
