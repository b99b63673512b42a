// Repository lifecycle, pagination, branches and tags, health, metrics and the OpenAPI document.
import test from 'ava';
import { AUTHOR, commitBody, InProcessAgent, startAgent } from './helpers/agent.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => agent?.close());

test('create, get, list with pagination, delete', async (t) => {
  const c = agent.client;
  const created = await c.post('/repos', { name: 'alpha', defaultBranch: 'trunk', description: 'first' });
  t.is(created.status, 201);
  t.is(created.body.defaultBranch, 'trunk');
  t.is(created.body.head, null);
  t.is(created.headers.get('location'), '/api/v1/repos/alpha');
  for (let i = 0; i < 12; i++) t.is((await c.post('/repos', { name: `p-${String(i).padStart(2, '0')}` })).status, 201);
  const names: string[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 10; pages++) {
    const r = await c.get(`/repos?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
    t.is(r.status, 200);
    t.true(r.body.repositories.length <= 5);
    // Other tests in this file create repositories concurrently; only ours are compared.
    names.push(...r.body.repositories.map((x: { name: string }) => x.name).filter((n: string) => n === 'alpha' || n.startsWith('p-')));
    cursor = r.body.next;
    if (!cursor) break;
  }
  t.deepEqual(names, ['alpha', ...Array.from({ length: 12 }, (_, i) => `p-${String(i).padStart(2, '0')}`)]);
  t.is((await c.delete('/repos/alpha')).status, 204);
  t.is((await c.get('/repos/alpha')).status, 404);
  t.is((await c.post('/repos', { name: 'alpha' })).status, 201, 'a deleted name can be reused');
});

test('branches and tags: create from any revision, lightweight and annotated, list, get, delete', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'refs' });
  const one = await c.post('/repos/refs/commits', commitBody('main', { f: '1' }));
  const two = await c.post('/repos/refs/commits', commitBody('main', { f: '2' }));
  t.is((await c.post('/repos/refs/branches', { name: 'feature/x', from: one.body.sha })).status, 201);
  t.is((await c.get('/repos/refs/branches/feature/x')).body.sha, one.body.sha);
  const light = await c.post('/repos/refs/tags', { name: 'v1', from: 'main' });
  t.is(light.status, 201);
  t.false(light.body.annotated);
  t.is(light.body.sha, two.body.sha);
  const annotated = await c.post('/repos/refs/tags', { name: 'v0.1', from: 'feature/x', message: 'first release', tagger: AUTHOR });
  t.is(annotated.status, 201, JSON.stringify(annotated.body));
  t.true(annotated.body.annotated);
  t.not(annotated.body.sha, one.body.sha);
  t.is(annotated.body.commit, one.body.sha);
  t.is(annotated.body.tagger.date, AUTHOR.date);
  // A tag resolves to its commit for reads.
  t.is((await c.get('/repos/refs/files/f?ref=v0.1')).raw.toString(), '1');
  t.is((await c.post('/repos/refs/tags', { name: 'bad', from: 'main', message: 'no tagger' })).status, 400);
  const tags = await c.get('/repos/refs/tags');
  t.deepEqual(tags.body.tags.map((x: { name: string }) => x.name), ['v0.1', 'v1']);
  const branches = await c.get('/repos/refs/branches');
  t.deepEqual(branches.body.branches.map((x: { name: string }) => x.name), ['feature/x', 'main']);
  t.is((await c.delete('/repos/refs/branches/feature/x')).status, 204);
  t.is((await c.get('/repos/refs/branches/feature/x')).status, 404);
  t.is((await c.post('/repos/refs/branches', { name: 'y', from: 'nonexistent' })).status, 404);
});

test('health, readiness, metrics and OpenAPI', async (t) => {
  const root = agent.client.base.replace(/\/api\/v1$/, '');
  t.is((await fetch(root + '/healthz')).status, 200);
  t.is((await fetch(root + '/readyz')).status, 200);
  await agent.client.get('/repos');
  const metrics = await (await fetch(root + '/metrics')).text();
  t.regex(metrics, /govc_http_requests_total\{method="GET",route="\/api\/v1\/repos",status="200"\} \d+/);
  t.regex(metrics, /govc_http_request_duration_seconds_bucket/);
  t.regex(metrics, /govc_repositories \d+/);
  t.regex(metrics, /govc_memory_bytes \d+/);
  t.regex(metrics, /govc_objects \d+/);
  const doc = (await agent.client.get('/openapi.json')).body;
  t.is(doc.openapi, '3.0.3');
  for (const p of ['/api/v1/repos', '/api/v1/repos/{repo}', '/api/v1/repos/{repo}/commits', '/api/v1/repos/{repo}/commits/{sha}',
    '/api/v1/repos/{repo}/files/{*}', '/api/v1/repos/{repo}/tree/{*}', '/api/v1/repos/{repo}/branches', '/api/v1/repos/{repo}/tags',
    '/api/v1/repos/{repo}/compare/{*}', '/api/v1/repos/{repo}/merges', '/api/v1/repos/{repo}/bundle']) {
    t.truthy(doc.paths[p], `openapi documents ${p}`);
  }
  t.truthy(doc.paths['/api/v1/repos'].post.requestBody);
});
