// Every error path answers {error:{code,message}} with the right status and changes nothing.
import test from 'ava';
import { AUTHOR, commitBody, InProcessAgent, startAgent } from './helpers/agent.js';

let agent: InProcessAgent;
let head: string;
test.before(async () => {
  agent = await startAgent({ bodyLimit: 64 * 1024 });
  await agent.client.post('/repos', { name: 'e' });
  head = (await agent.client.post('/repos/e/commits', commitBody('main', { 'keep.txt': 'keep', 'dir/x': 'x' }))).body.sha;
});
test.after.always(async () => agent?.close());

async function unchanged(t: import('ava').ExecutionContext) {
  const r = await agent.client.get('/repos/e');
  t.is(r.body.head, head, 'repository must be unchanged');
  t.is(r.body.seq, 1);
}

function isError(t: import('ava').ExecutionContext, r: { status: number; body: { error?: { code?: string; message?: string } } }, status: number, code?: string) {
  t.is(r.status, status, JSON.stringify(r.body));
  t.is(typeof r.body.error?.message, 'string');
  t.is(typeof r.body.error?.code, 'string');
  if (code) t.is(r.body.error?.code, code);
}

const badPaths = ['../escape', 'a/../b', '/abs', 'a//b', 'a/', '', 'nul\0byte', '.git/config', 'x/./y'];
for (const path of badPaths) {
  test(`commit with path ${JSON.stringify(path)} is 400`, async (t) => {
    const r = await agent.client.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path, content: 'x' }] });
    isError(t, r, 400);
    await unchanged(t);
  });
}

for (const branch of ['a..b', 'x.lock', '-x', 'has space', 'a~b', 'HEAD', 'a@{1}', '.hidden', 'end/']) {
  test(`commit to branch ${JSON.stringify(branch)} is 400`, async (t) => {
    const r = await agent.client.post('/repos/e/commits', commitBody(branch, { f: 'x' }));
    isError(t, r, 400, 'invalid_ref_name');
    await unchanged(t);
  });
}

test('bad base64, unknown fields, wrong types, bad mode, bad JSON are 400', async (t) => {
  const c = agent.client;
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'f', content: '!!!not base64', encoding: 'base64' }] }), 400, 'invalid_base64');
  isError(t, await c.post('/repos/e/commits', { ...commitBody('main', { f: 'x' }), surprise: 1 }), 400, 'invalid_request');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'f', content: 'x', extra: true }] }), 400);
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'f', content: 'x', mode: '100777' }] }), 400);
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 5, author: AUTHOR, files: [] }), 400);
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: { name: 'a<b', email: 'x' }, files: [{ path: 'f', content: 'x' }] }), 400, 'invalid_identity');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: { ...AUTHOR, date: 'yesterday' }, files: [{ path: 'f', content: 'x' }] }), 400, 'invalid_date');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR }), 400, 'empty_commit');
  isError(t, await c.request('POST', '/repos/e/commits', '{"branch":', { 'content-type': 'application/json' }), 400, 'invalid_json');
  isError(t, await c.post('/repos', { name: '../x' }), 400, 'invalid_repo_name');
  isError(t, await c.post('/repos', { name: 'ok', defaultBranch: 'bad..name' }), 400, 'invalid_ref_name');
  await unchanged(t);
});

test('conflicting paths in one commit are 400 and change nothing', async (t) => {
  const c = agent.client;
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'a', content: '1' }, { path: 'a', content: '2' }] }), 400, 'duplicate_path');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'a', content: '1' }, { path: 'a/b', content: '2' }] }), 400, 'path_conflict');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'dir', content: '1' }] }), 400, 'path_conflict');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'keep.txt/x', content: '1' }] }), 400, 'path_conflict');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, deletes: ['nope'] }), 400, 'path_not_found');
  isError(t, await c.post('/repos/e/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'n', content: '1' }], deletes: ['nope/deeper'] }), 400, 'path_not_found');
  await unchanged(t);
});

test('404s: unknown repo, ref, path, commit, route', async (t) => {
  const c = agent.client;
  isError(t, await c.get('/repos/nope'), 404, 'repo_not_found');
  isError(t, await c.post('/repos/nope/commits', commitBody('main', { f: 'x' })), 404, 'repo_not_found');
  isError(t, await c.get('/repos/e/files/missing.txt'), 404, 'path_not_found');
  isError(t, await c.get('/repos/e/files/keep.txt?ref=nobranch'), 404, 'ref_not_found');
  isError(t, await c.get(`/repos/e/commits/${'a'.repeat(40)}`), 404, 'object_not_found');
  isError(t, await c.get('/repos/e/branches/nope'), 404, 'branch_not_found');
  isError(t, await c.get('/repos/e/tags/nope'), 404, 'tag_not_found');
  isError(t, await c.delete('/repos/nope'), 404);
  isError(t, await c.get('/nothing/here'), 404, 'route_not_found');
  isError(t, await c.get('/repos/e/files/dir'), 400, 'is_directory');
  isError(t, await c.get('/repos/e/tree/keep.txt'), 400, 'not_a_directory');
});

test('409s: existing repo, branch, tag; deleting the default branch', async (t) => {
  const c = agent.client;
  isError(t, await c.post('/repos', { name: 'e' }), 409, 'repo_exists');
  await c.post('/repos', { name: 'e409' });
  const h = (await c.post('/repos/e409/commits', commitBody('main', { f: 'x' }))).body.sha;
  isError(t, await c.post('/repos/e409/branches', { name: 'main', from: 'main' }), 409, 'branch_exists');
  t.is((await c.post('/repos/e409/tags', { name: 't1', from: 'main' })).status, 201);
  isError(t, await c.post('/repos/e409/tags', { name: 't1', from: 'main' }), 409, 'tag_exists');
  isError(t, await c.delete('/repos/e409/branches/main'), 409, 'default_branch');
  t.is((await c.delete('/repos/e409/tags/t1')).status, 204);
  t.is((await c.get('/repos/e409')).body.head, h);
});

test('413 over the body limit, 415 for other media types', async (t) => {
  const c = agent.client;
  const big = { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'big', content: 'x'.repeat(100 * 1024) }] };
  isError(t, await c.post('/repos/e/commits', big), 413, 'body_too_large');
  isError(t, await c.request('POST', '/repos/e/commits', 'branch=main', { 'content-type': 'application/x-www-form-urlencoded' }), 415);
  isError(t, await c.request('POST', '/repos/e/commits', 'hello', { 'content-type': 'text/plain' }), 415);
  isError(t, await c.request('POST', '/repos/e/commits', Buffer.from('xx'), { 'content-type': 'application/octet-stream' }), 415);
  isError(t, await c.request('POST', '/repos/e/bundle', JSON.stringify({ a: 1 }), { 'content-type': 'application/json' }), 415);
  isError(t, await c.request('POST', '/repos/e/bundle', Buffer.from('# v2 git bundle\ngarbage'), {}), 400, 'invalid_bundle');
  await unchanged(t);
});

test('errors carry a request id header and never a stack trace', async (t) => {
  const r = await agent.client.request('GET', '/repos/nope', undefined, { 'x-request-id': 'trace-123' });
  t.is(r.headers.get('x-request-id'), 'trace-123');
  t.false(JSON.stringify(r.body).includes('at '));
});
