// No 5xx for any input: fast-check throws hostile requests (helpers/fuzz-requests.ts) at every route of the agent's own
// OpenAPI document, in process through fastify's inject, against repositories with real history (helpers/fuzz-fixtures.ts).
// After every request: never a 5xx; every 4xx has the {error:{code,message}} shape; a refused request changed no
// repository (seq, refs, metadata, object count).
//
// Bounded for CI: GOVC_FUZZ_RUNS cases (default 3000, a few seconds). A failure prints fast-check's seed and path;
// GOVC_FUZZ_SEED=<seed> replays it. To survey rather than test: GOVC_FUZZ_EXPLORE=1 lists every 5xx of a run instead of
// stopping at the first, GOVC_FUZZ_CODES=1 logs how often each (status, route, code) came up.
import test from 'ava';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { createLogger } from '../src/logger.js';
import { RepositoryStore } from '../src/store/repository-store.js';
import { createHttpServer } from '../src/transports/http/server.js';
import { writeBundle } from '../src/git/bundle.js';
import type { Repository } from '../src/store/repository.js';
import { BROKEN_FIXTURES, FIXTURES, FixtureBuilder } from './helpers/fuzz-fixtures.js';
import { fuzzRequest, FuzzRequest, OpenApiPaths, Vocabulary } from './helpers/fuzz-requests.js';

const RUNS = Number(process.env.GOVC_FUZZ_RUNS ?? 3000);
const SEED = process.env.GOVC_FUZZ_SEED === undefined ? undefined : Number(process.env.GOVC_FUZZ_SEED);

interface Target {
  app: FastifyInstance;
  store: RepositoryStore;
  fixtures: Record<string, FixtureBuilder>;
}

async function target(fixtures: Record<string, FixtureBuilder>): Promise<Target> {
  const store = new RepositoryStore();
  const app = await createHttpServer({ store, log: createLogger('error'), bodyLimit: 1024 * 1024, isReady: () => true, version: 'fuzz' });
  for (const build of Object.values(fixtures)) await build(app, store);
  return { app, store, fixtures };
}

function vocabulary({ store, fixtures }: Target): Vocabulary {
  const refs = new Set<string>(['main', 'HEAD', 'trunk', 'main~1', 'main^2', 'v1^{}', 'atree^{tree}']);
  const shas = new Set<string>();
  const paths = new Set<string>(['README.md', 'src', 'src/a/b/c.txt', 'é/😀.txt', 'link', 'bin', 'nope.txt', 'sub', 'sub/x', 'f', 'f.txt', 'f.txt/x', 'd/x']);
  for (const repo of store.all()) {
    for (const [name, id] of repo.listRefs()) {
      refs.add(name.replace(/^refs\/(heads|tags)\//, ''));
      refs.add(name);
      shas.add(id);
      shas.add(id.slice(0, 7));
    }
    let n = 0;
    for (const o of repo.objects.objects()) {
      if (n++ > 12) break;
      shas.add(o.id);
    }
  }
  const names = Object.keys(fixtures);
  return {
    repos: [...names, 'nope', names[0].toUpperCase(), 'a'.repeat(101)],
    refs: [...refs], paths: [...paths], shas: [...shas],
    bundles: names.filter((n) => n !== 'broken').map((n) => bundleOf(store.get(n))),
  };
}

/** A bundle of every ref and object of `repo` (HEAD first), built here: the agent's own export streams from a worker. */
function bundleOf(repo: Repository): Buffer {
  const refs = repo.listRefs().map(([name, id]) => ({ name, id }));
  const head = repo.getRef(repo.headRef);
  if (head) refs.unshift({ name: 'HEAD', id: head });
  return writeBundle(refs, repo.objects.objects(), repo.objects.size);
}

/** What a refused request must not change, for every repository. */
function snapshot(store: RepositoryStore): string {
  return JSON.stringify([...store.all()].map((r) => [r.name, r.seq, r.listRefs(), r.meta, r.objects.size]));
}

function errorCode(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: { code?: string } }).error?.code ?? '');
  } catch {
    return '';
  }
}

function describe(req: FuzzRequest): string {
  const body = req.body === undefined ? '' : ` body(${req.body.length}B)=${JSON.stringify(req.body.subarray(0, 300).toString('latin1'))}`;
  return `${req.method} ${req.url.slice(0, 300)} headers=${JSON.stringify(req.headers)}${body}`;
}

async function fuzz(t: import('ava').ExecutionContext, tgt: Target, runs: number): Promise<void> {
  const { app, store } = tgt;
  const spec = JSON.parse((await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body) as { paths: OpenApiPaths };
  t.true(Object.keys(spec.paths).length >= 14, 'the OpenAPI document lists the routes');
  const vocab = vocabulary(tgt);
  const statuses = new Map<string, number>();
  const codes = new Map<string, number>();
  const found: string[] = [];
  const count = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  await fc.assert(fc.asyncProperty(fuzzRequest(vocab, spec.paths), async (req) => {
    // A fixture a successful request deleted (DELETE /repos/alpha) is put back, so later cases still reach it.
    for (const [name, build] of Object.entries(tgt.fixtures)) if (!store.has(name)) await build(app, store);
    const before = snapshot(store);
    const r = await app.inject({ method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.body });
    const where = `${r.statusCode} for ${describe(req)}: ${r.body.slice(0, 500)}`;
    count(statuses, `${Math.floor(r.statusCode / 100)}xx`);
    if (process.env.GOVC_FUZZ_CODES) count(codes, `${r.statusCode} ${req.method} ${req.url.split('/').slice(4, 6).join('/').replace(/\?.*/, '').slice(0, 40)} ${errorCode(r.body)}`);
    if (r.statusCode >= 500) {
      if (!process.env.GOVC_FUZZ_EXPLORE) throw new Error(`5xx: ${where}`);
      found.push(where.slice(0, 700));
      return;
    }
    if (r.statusCode < 400) return;
    if (req.method !== 'HEAD') {
      let body: { error?: { code?: unknown; message?: unknown } };
      try {
        body = JSON.parse(r.body);
      } catch {
        throw new Error(`4xx without a JSON body: ${where}`);
      }
      if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') throw new Error(`4xx without {error:{code,message}}: ${where}`);
    }
    if (snapshot(store) !== before) throw new Error(`a refused request changed a repository: ${where}\nbefore ${before}\nafter  ${snapshot(store)}`);
  }), { numRuns: runs, seed: SEED, endOnFailure: true, includeErrorInReport: true });
  t.log(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  if (process.env.GOVC_FUZZ_CODES) t.log([...codes].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${n} ${k}`).join('\n'));
  t.deepEqual(found, [], found.join('\n'));
  // The run reached handlers, not only validation: some requests succeeded and many were refused.
  t.true((statuses.get('2xx') ?? 0) > runs / 20, JSON.stringify(Object.fromEntries(statuses)));
  t.true((statuses.get('4xx') ?? 0) > runs / 4, JSON.stringify(Object.fromEntries(statuses)));
}

test.serial(`no 5xx, the error shape, and nothing changed by a refusal, over ${RUNS} hostile requests to every route`, async (t) => {
  const tgt = await target(FIXTURES);
  try {
    await fuzz(t, tgt, RUNS);
  } finally {
    await tgt.app.close();
  }
});

// Histories with wrong-type links (branch at a blob, a commit whose tree is a blob, ...), as imports made before the
// fsck rules could leave them: compare, tree, files, commits and merges answer 4xx on them too.
test.serial('no 5xx over a repository with wrong-type links either', async (t) => {
  const tgt = await target({ ...BROKEN_FIXTURES, empty: FIXTURES.empty });
  try {
    await fuzz(t, tgt, RUNS);
  } finally {
    await tgt.app.close();
  }
});
