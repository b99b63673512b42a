// Strict request schemas over REST: bodies are never coerced, query strings only to their declared scalars; identities,
// dates and messages follow git's rules on every route that takes them; bodies must be UTF-8 without lone surrogates.
// Every refusal is a 400 with the error shape and changes nothing; what is accepted passes git fsck --strict.
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { AUTHOR, InProcessAgent, startAgent } from './helpers/agent.js';
import { git, gitText, makeTempDir, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

let agent: InProcessAgent;
let head: string;
test.before(async () => {
  agent = await startAgent();
  await agent.client.post('/repos', { name: 's', description: 'strict' });
  head = (await agent.client.post('/repos/s/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'a', content: 'a' }] })).body.sha;
  await agent.client.post('/repos/s/branches', { name: 'side', from: 'main' });
  await agent.client.post('/repos/s/commits', { branch: 'side', message: 'side', author: AUTHOR, files: [{ path: 'b', content: 'b' }] });
});
test.after.always(async () => agent?.close());

/** Everything a refused request must leave alone: seq, refs, description, the set of repositories. */
function state() {
  return JSON.stringify([...agent.store.all()].filter((r) => r.name !== 'edge').map((r) => [r.name, r.seq, r.listRefs(), r.meta.description]));
}

type Reply = { status: number; body: { error?: { code?: string; message?: string } } };
function isError(t: import('ava').ExecutionContext, r: Reply, status: number, code: string, what: string) {
  t.is(r.status, status, `${what}: ${JSON.stringify(r.body)}`);
  t.is(r.body.error?.code, code, what);
  t.is(typeof r.body.error?.message, 'string', what);
}

// A valid body per route, and for each field values of every other JSON type (an array holding a valid value included:
// the old 'array' coercion unwrapped those).
const routes = (head: string): { path: string; body: Record<string, unknown>; fields: Record<string, unknown[]> }[] => [
  {
    path: '/repos',
    body: { name: 'fresh', defaultBranch: 'main', description: 'd' },
    fields: { name: [1, true, ['fresh'], { n: 1 }, null], defaultBranch: [1, ['main'], null, false], description: [1, ['d'], null, {}] },
  },
  {
    path: '/repos/s/commits',
    body: { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'n', content: 'x', encoding: 'utf8', mode: '100644' }], deletes: [], expectedHead: head },
    fields: {
      branch: [['main'], 1, true, null, { b: 'main' }],
      message: [true, 5, ['m'], null, {}],
      author: ['Ada <a@x>', ['x'], 1, null],
      'author.name': [1, ['Ada'], true, null],
      'author.email': [1, ['a@x'], false, null],
      'author.date': [1714557600, ['2024-05-01T12:00:00Z'], true, null],
      committer: ['Ada', 1, []],
      files: [{ path: 'n', content: 'x' }, 'n', 1, null],
      'files.0': ['n', 1, null, [['n', 'x']]],
      'files.0.path': [1, ['n'], null, true],
      'files.0.content': [123, ['x'], null, true, { x: 1 }],
      'files.0.encoding': [1, ['utf8'], null, true],
      'files.0.mode': [100644, 100755, ['100755'], null, 33188],
      deletes: ['a', 1, null, { a: 1 }],
      'deletes.0': [1, ['a'], null],
      expectedHead: [1, [head], true, {}],
    },
  },
  {
    path: '/repos/s/merges',
    body: { base: 'main', head: 'side', message: 'merge', author: AUTHOR, noFastForward: true },
    fields: { base: [['main'], 1, null], head: [['side'], 1, null], message: [true, 1, ['m']], author: ['a', 1], noFastForward: ['true', 1, 0, ['true'], null] },
  },
  {
    path: '/repos/s/branches',
    body: { name: 'new', from: 'main' },
    fields: { name: [['new'], 1, true, null], from: [['main'], 1, null] },
  },
  {
    path: '/repos/s/tags',
    body: { name: 'v1', from: 'main', message: 'release', tagger: AUTHOR },
    fields: { name: [['v1'], 1, null], from: [['main'], 1], message: [true, 1, ['release']], tagger: ['Ada', 1, [AUTHOR]], 'tagger.date': [0, ['2024-05-01T12:00:00Z']] },
  },
];

function withField(body: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const copy = structuredClone(body);
  const keys = path.split('.');
  let at: Record<string, unknown> = copy;
  for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
  at[keys[keys.length - 1]] = value;
  return copy;
}

test.serial('no body field is coerced: every wrong JSON type is 400 invalid_request and changes nothing', async (t) => {
  const before = state();
  for (const route of routes(head)) {
    for (const [field, values] of Object.entries(route.fields)) {
      for (const value of values) {
        const r = await agent.client.post(route.path, withField(route.body, field, value));
        isError(t, r, 400, 'invalid_request', `${route.path} ${field}=${JSON.stringify(value)}`);
      }
    }
  }
  t.is(state(), before);
});

test.serial('query strings coerce to declared integers only, never from or to arrays', async (t) => {
  const c = agent.client;
  t.is((await c.get('/repos/s/commits?limit=1')).body.commits.length, 1);
  t.is((await c.get('/repos?limit=1')).body.repositories.length, 1);
  for (const q of ['limit=1.5', 'limit=x', 'limit=', 'limit=0', 'limit=1001', 'limit=1&limit=2', 'ref=main&ref=side', 'cursor=a&cursor=b', 'path=a&path=b', 'surprise=1']) {
    isError(t, await c.get(`/repos/s/commits?${q}`), 400, 'invalid_request', q);
  }
  isError(t, await c.get('/repos/s/tree?ref=main&ref=side'), 400, 'invalid_request', 'tree ref twice');
  isError(t, await c.get('/repos/s/files/a?ref=main&ref=side'), 400, 'invalid_request', 'files ref twice');
  isError(t, await c.get('/repos?limit=true'), 400, 'invalid_request', 'limit=true');
});

test.serial('dates and identities git would refuse are 400 on commits, committers, merges and tags alike', async (t) => {
  const before = state();
  const c = agent.client;
  const bodies = (who: Record<string, unknown>) => [
    ['/repos/s/commits', { branch: 'main', message: 'm', author: who, files: [{ path: 'n', content: 'x' }] }],
    ['/repos/s/commits', { branch: 'main', message: 'm', author: AUTHOR, committer: who, files: [{ path: 'n', content: 'x' }] }],
    ['/repos/s/merges', { base: 'main', head: 'side', author: who, noFastForward: true }],
    ['/repos/s/tags', { name: 'vt', from: 'main', message: 'm', tagger: who }],
  ] as const;
  for (const date of ['1', '2024-05-01T12:00:00', '1969-12-31T23:59:59Z', '2024-05-01T12:00:00+24:00', '2024-02-30T00:00:00Z', '10000-01-01T00:00:00Z']) {
    for (const [path, body] of bodies({ ...AUTHOR, date })) isError(t, await c.post(path, body), 400, 'invalid_date', `${path} ${date}`);
  }
  for (const who of [{ name: 'a<b', email: 'x' }, { name: 'a', email: 'x>' }, { name: 'a\nb', email: 'x' }, { name: 'a\x1bb', email: 'x' }, { name: '   ', email: 'x' }, { name: 'a', email: 'x\0' }]) {
    for (const [path, body] of bodies(who)) isError(t, await c.post(path, body), 400, 'invalid_identity', `${path} ${JSON.stringify(who)}`);
  }
  isError(t, await c.post('/repos/s/tags', { name: 'vt', from: 'main', message: 'a\0b', tagger: AUTHOR }), 400, 'invalid_message', 'tag NUL');
  isError(t, await c.post('/repos/s/merges', { base: 'main', head: 'side', message: 'a\0b', noFastForward: true }), 400, 'invalid_message', 'merge NUL');
  t.is(state(), before);
});

test.serial('bodies that are not UTF-8, or hold a lone surrogate in any string, are 400 invalid_utf8 and change nothing', async (t) => {
  const before = state();
  const c = agent.client;
  const post = (path: string, raw: Buffer | string) => c.request('POST', path, raw, { 'content-type': 'application/json' });
  const commit = (over: string) => `{"branch":"main","message":"m","author":{"name":"A","email":"a@x"},"files":[{"path":"n","content":"x"}]${over}}`;
  const surrogates: [string, string][] = [
    ['/repos/s/commits', commit(',"files":[{"path":"p\\ud800","content":"x"}]')],
    ['/repos/s/commits', commit(',"files":[{"path":"n","content":"\\udfff"}]')],
    ['/repos/s/commits', commit(',"message":"m\\ud800"')],
    ['/repos/s/commits', commit(',"branch":"b\\udc00"')],
    ['/repos/s/commits', commit(',"author":{"name":"\\ud83d","email":"a@x"}')],
    ['/repos/s/commits', commit(',"deletes":["\\ud800"]')],
    ['/repos', '{"name":"n","description":"\\ud800"}'],
    ['/repos/s/branches', '{"name":"x\\ud800","from":"main"}'],
    ['/repos/s/tags', '{"name":"v","from":"main","message":"\\udbff","tagger":{"name":"A","email":"a@x"}}'],
    ['/repos/s/merges', '{"base":"main","head":"side","message":"\\ud800"}'],
  ];
  for (const [path, raw] of surrogates) isError(t, await post(path, raw), 400, 'invalid_utf8', raw);
  const latin1 = Buffer.from(commit(',"message":"caf\u00e9"'), 'latin1');
  isError(t, await post('/repos/s/commits', latin1), 400, 'invalid_utf8', 'latin-1 body');
  isError(t, await post('/repos', Buffer.from([0x7b, 0x22, 0x6e, 0x22, 0x3a, 0xc0, 0xaf, 0x7d])), 400, 'invalid_utf8', 'overlong');
  t.is(state(), before);
  // The same text as proper UTF-8 is accepted and stored byte for byte.
  const ok = await post('/repos/s/commits', Buffer.from(commit(',"message":"café 😀","files":[{"path":"é/😀","content":"\\ud83d\\ude00"}]'), 'utf8'));
  t.is(ok.status, 201, JSON.stringify(ok.body));
  t.is((await c.get(`/repos/s/commits/${ok.body.sha}`)).body.message, 'café 😀\n');
  t.deepEqual((await c.get('/repos/s/files/%C3%A9/%F0%9F%98%80')).raw, Buffer.from('😀'));
});

test.serial('accepted edge identities are stored as git writes them and the export passes git fsck --strict', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'edge' });
  const first = await c.post('/repos/edge/commits', {
    branch: 'main', message: 'first', author: { name: '  Zoë "Z" O\'Brien, Jr.  ', email: ' z@x ', date: '9999-12-31T23:59:59-23:59' },
    committer: { name: '名前', email: '', date: '1970-01-01T00:00:00Z' }, files: [{ path: 'f', content: 'x' }],
  });
  t.is(first.status, 201, JSON.stringify(first.body));
  const read = (await c.get(`/repos/edge/commits/${first.body.sha}`)).body;
  t.deepEqual(read.author, { name: 'Zoë "Z" O\'Brien, Jr.', email: 'z@x', date: '9999-12-31T23:59:59-23:59' });
  t.deepEqual(read.committer, { name: '名前', email: '', date: '1970-01-01T00:00:00Z' });
  await c.post('/repos/edge/branches', { name: 'b', from: 'main' });
  await c.post('/repos/edge/commits', { branch: 'b', message: 'b', author: AUTHOR, files: [{ path: 'g', content: 'y' }] });
  const merged = await c.post('/repos/edge/merges', { base: 'main', head: 'b', noFastForward: true, author: { name: 'M', email: 'm@x', date: '2024-05-01T12:00:00+14:00' } });
  t.is(merged.status, 201, JSON.stringify(merged.body));
  const tag = await c.post('/repos/edge/tags', { name: 'v1', from: 'main', message: 'rel', tagger: { name: ' T ', email: 't@x', date: '2024-05-01T12:00:00.5-12:00' } });
  t.is(tag.status, 201, JSON.stringify(tag.body));
  t.deepEqual(tag.body.tagger, { name: 'T', email: 't@x', date: '2024-05-01T12:00:00-12:00' });
  const dir = makeTempDir();
  try {
    writeFileSync(join(dir, 'edge.bundle'), (await c.get('/repos/edge/bundle')).raw);
    git(['clone', '-q', '--mirror', join(dir, 'edge.bundle'), join(dir, 'clone')]);
    git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'clone') });
    t.is(gitText(['log', '-1', '--format=%an|%ae|%ad', '--date=iso-strict', first.body.sha], { cwd: join(dir, 'clone') }), 'Zoë "Z" O\'Brien, Jr.|z@x|9999-12-31T23:59:59-23:59');
  } finally {
    removeTempDir(dir);
  }
});

/** Sends raw bytes on a fresh connection (half-closed after), returns everything the agent wrote back. */
function rawHttp(base: string, text: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
    socket.end(text, 'latin1');
    setTimeout(() => socket.destroy(), 2000).unref();
  });
}

test.serial('lying or malformed HTTP framing gets 4xx in the error shape and changes nothing', async (t) => {
  const before = state();
  const post = (headers: string, body: string) => `POST /api/v1/repos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;
  const body = '{"name":"wire"}';
  const cases: Record<string, string> = {
    'content-length shorter than the body': post('Content-Length: 5\r\n', body),
    'content-length longer than the body': post('Content-Length: 500\r\n', body),
    'content-length not a number': post('Content-Length: abc\r\n', body),
    'content-length negative': post('Content-Length: -1\r\n', body),
    'two content-lengths': post(`Content-Length: ${body.length}\r\nContent-Length: 5\r\n`, body),
    'transfer-encoding with content-length': post(`Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`, `f\r\n${body}\r\n0\r\n\r\n`),
    'not HTTP': 'GARBAGE\r\n\r\n',
    'NUL in the target': 'GET /api/v1/repos/a\0b HTTP/1.1\r\nHost: x\r\n\r\n',
    'headers over the limit': `GET /api/v1/repos HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(20000)}\r\n\r\n`,
  };
  for (const [what, text] of Object.entries(cases)) {
    const reply = await rawHttp(agent.client.base, text);
    const responses = reply.split(/(?=HTTP\/1\.1 \d{3} )/).filter((r) => r !== '');
    t.true(responses.length >= 1, `${what}: no answer`);
    for (const r of responses) {
      const status = Number(r.slice(9, 12));
      t.true(status >= 400 && status < 500, `${what}: ${r.slice(0, 200)}`);
      const error = JSON.parse(r.slice(r.indexOf('\r\n\r\n') + 4)).error;
      t.is(typeof error?.code, 'string', `${what}: ${r}`);
      t.is(typeof error?.message, 'string', `${what}: ${r}`);
    }
  }
  t.is(state(), before);
  t.is((await agent.client.get('/repos/wire')).status, 404);
  t.is((await agent.client.get('/repos/s')).status, 200);
});

test.serial('dates git stores past what JavaScript dates reach read back in ISO-8601 expanded years', async (t) => {
  const repo = makeTempRepo();
  try {
    const tree = gitText(['mktree'], { cwd: repo, input: '' });
    const far = gitText(['commit-tree', tree, '-m', 'far'], { cwd: repo, env: { GIT_AUTHOR_DATE: '@10000000000000 +0000', GIT_COMMITTER_DATE: '@10000000000000 -1200' } });
    git(['update-ref', 'refs/heads/main', far], { cwd: repo });
    git(['bundle', 'create', '-q', 'far.bundle', 'main'], { cwd: repo });
    await agent.client.post('/repos', { name: 'far' });
    const imported = await agent.client.request('POST', '/repos/far/bundle', readFileSync(join(repo, 'far.bundle')));
    t.is(imported.status, 200, JSON.stringify(imported.body));
    const c = await agent.client.get(`/repos/far/commits/${far}`);
    t.is(c.status, 200, JSON.stringify(c.body));
    // git log --date=iso-strict agrees on the instant: Sun May 20 17:46:40 318857 UTC.
    t.is(c.body.author.date, '+318857-05-20T17:46:40Z');
    t.is(c.body.committer.date, '+318857-05-20T05:46:40-12:00');
    t.is((await agent.client.get('/repos/far/commits')).status, 200);
  } finally {
    removeTempDir(repo);
  }
});
