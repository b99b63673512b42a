// Commits, history, files and trees through the REST API.
import test from 'ava';
import { AUTHOR, commitBody, InProcessAgent, startAgent } from './helpers/agent.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => agent?.close());

let n = 0;
async function newRepo(): Promise<string> {
  const name = `r${++n}`;
  const r = await agent.client.post('/repos', { name });
  if (r.status !== 201) throw new Error(`create failed: ${JSON.stringify(r.body)}`);
  return name;
}

test('a commit of many files creates the branch, nested trees, modes; reads return the bytes', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const bin = Buffer.from([0, 1, 2, 3, 254, 255]);
  const r = await c.post(`/repos/${repo}/commits`, {
    branch: 'main', message: 'first', author: AUTHOR,
    files: [
      { path: 'README.md', content: '# hi\n' },
      { path: 'src/a/b/c.txt', content: 'deep\n' },
      { path: 'bin/run.sh', content: '#!/bin/sh\n', mode: '100755' },
      { path: 'link', content: 'README.md', mode: '120000' },
      { path: 'data.bin', content: bin.toString('base64'), encoding: 'base64' },
      { path: 'ünï/日本.txt', content: 'こんにちは\n' },
    ],
  });
  t.is(r.status, 201, JSON.stringify(r.body));
  t.regex(r.body.sha, /^[0-9a-f]{40}$/);
  t.deepEqual(r.body.parents, []);
  t.is(r.body.branch, 'main');
  t.truthy(r.headers.get('x-govc-seq'));

  const file = await c.get(`/repos/${repo}/files/data.bin`);
  t.is(file.status, 200);
  t.deepEqual(file.raw, bin);
  const etag = file.headers.get('etag');
  t.regex(etag!, /^"[0-9a-f]{40}"$/);
  const again = await c.request('GET', `/repos/${repo}/files/data.bin`, undefined, { 'if-none-match': etag! });
  t.is(again.status, 304);
  t.is((await c.get(`/repos/${repo}/files/${encodeURI('ünï/日本.txt')}`)).raw.toString(), 'こんにちは\n');

  const root = await c.get(`/repos/${repo}/tree`);
  t.is(root.status, 200);
  const byName = Object.fromEntries(root.body.entries.map((e: { name: string }) => [e.name, e]));
  t.is(byName.bin.type, 'tree');
  t.is(byName.link.mode, '120000');
  t.is(byName['data.bin'].size, bin.length);
  const sub = await c.get(`/repos/${repo}/tree/bin`);
  t.is(sub.body.entries[0].mode, '100755');
  t.is((await c.get(`/repos/${repo}/tree/src/a/b?ref=main`)).body.entries[0].name, 'c.txt');
});

test('second commit: parent, deletes of files and whole directories, replace file by directory', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const first = await c.post(`/repos/${repo}/commits`, commitBody('main', { 'a/x.txt': '1', 'a/y.txt': '2', b: 'file' }));
  const second = await c.post(`/repos/${repo}/commits`, {
    ...commitBody('main', { 'b/inner.txt': 'now a dir' }), deletes: ['a', 'b'],
  });
  t.is(second.status, 201, JSON.stringify(second.body));
  t.deepEqual(second.body.parents, [first.body.sha]);
  t.is((await c.get(`/repos/${repo}/files/a/x.txt`)).status, 404);
  t.is((await c.get(`/repos/${repo}/files/b/inner.txt`)).raw.toString(), 'now a dir');
  // The old version is still there at the old commit.
  t.is((await c.get(`/repos/${repo}/files/a/x.txt?ref=${first.body.sha}`)).raw.toString(), '1');
  // Deleting everything leaves an empty tree, like `git rm -r .`.
  const third = await c.post(`/repos/${repo}/commits`, { branch: 'main', message: 'wipe', author: AUTHOR, deletes: ['b'] });
  t.is(third.status, 201);
  t.is(third.body.tree, '4b825dc642cb6eb9a060e54bf8d69288fbee4904');
});

test('expectedHead mismatch is 409 with the current head, and nothing changes', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const first = await c.post(`/repos/${repo}/commits`, commitBody('main', { f: '1' }));
  const stale = await c.post(`/repos/${repo}/commits`, commitBody('main', { f: '2' }, { expectedHead: '0'.repeat(40) }));
  t.is(stale.status, 409);
  t.is(stale.body.error.code, 'head_moved');
  t.is(stale.body.error.current, first.body.sha);
  const ok = await c.post(`/repos/${repo}/commits`, commitBody('main', { f: '2' }, { expectedHead: first.body.sha }));
  t.is(ok.status, 201);
  const mustBeNew = await c.post(`/repos/${repo}/commits`, commitBody('main', { f: '3' }, { expectedHead: null }));
  t.is(mustBeNew.status, 409);
  t.is((await c.get(`/repos/${repo}/files/f`)).raw.toString(), '2');
});

test('racing writers on one branch: each acknowledged commit is in a linear history, each loser got 409', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const base = await c.post(`/repos/${repo}/commits`, commitBody('main', { counter: '0' }));
  // 40 writers all claim the same parent: exactly one may win.
  const racers = await Promise.all(Array.from({ length: 40 }, (_, i) =>
    c.post(`/repos/${repo}/commits`, commitBody('main', { [`w${i}`]: String(i) }, { expectedHead: base.body.sha }))));
  t.is(racers.filter((r) => r.status === 201).length, 1);
  t.is(racers.filter((r) => r.status === 409).length, 39);
  // Without expectedHead, parallel writers all land, one after another.
  const writers = await Promise.all(Array.from({ length: 60 }, (_, i) => c.post(`/repos/${repo}/commits`, commitBody('main', { [`p${i}`]: String(i) }))));
  t.true(writers.every((r) => r.status === 201));
  const log = await c.get(`/repos/${repo}/commits?limit=1000`);
  const shas = log.body.commits.map((x: { sha: string }) => x.sha);
  t.is(shas.length, 62);
  for (const w of [...writers, ...racers.filter((r) => r.status === 201)]) t.true(shas.includes(w.body.sha));
  // Linear: every commit's single parent is the next one in the log.
  for (let i = 0; i < log.body.commits.length - 1; i++) t.deepEqual(log.body.commits[i].parents, [shas[i + 1]]);
});

test('log pages with a cursor, filters by path, and reads one commit', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const shas: string[] = [];
  for (let i = 0; i < 7; i++) {
    const files: Record<string, string> = i % 2 === 0 ? { 'docs/guide.md': `v${i}` } : { 'src/main.ts': `v${i}` };
    const r = await c.post(`/repos/${repo}/commits`, commitBody('main', files, { author: { ...AUTHOR, date: `2024-05-0${i + 1}T00:00:00Z` } }));
    shas.unshift(r.body.sha);
  }
  const p1 = await c.get(`/repos/${repo}/commits?limit=3`);
  t.deepEqual(p1.body.commits.map((x: { sha: string }) => x.sha), shas.slice(0, 3));
  t.truthy(p1.body.next);
  // A commit lands between pages: the cursor is pinned, the next page continues where we were.
  await c.post(`/repos/${repo}/commits`, commitBody('main', { other: 'x' }));
  const p2 = await c.get(`/repos/${repo}/commits?limit=3&cursor=${p1.body.next}`);
  t.deepEqual(p2.body.commits.map((x: { sha: string }) => x.sha), shas.slice(3, 6));
  const p3 = await c.get(`/repos/${repo}/commits?limit=3&cursor=${p2.body.next}`);
  t.deepEqual(p3.body.commits.map((x: { sha: string }) => x.sha), shas.slice(6));
  t.is(p3.body.next, undefined);
  const docs = await c.get(`/repos/${repo}/commits?path=docs`);
  t.deepEqual(docs.body.commits.map((x: { sha: string }) => x.sha), shas.filter((_, i) => i % 2 === 0));
  const one = await c.get(`/repos/${repo}/commits/${shas[0]}`);
  t.is(one.body.sha, shas[0]);
  t.is(one.body.author.date, '2024-05-07T00:00:00Z');
  t.is(one.body.message, 'update docs/guide.md\n');
  const bad = await c.get(`/repos/${repo}/commits?cursor=garbage`);
  t.is(bad.status, 400);
});

test('author dates keep their time zone', async (t) => {
  const c = agent.client;
  const repo = await newRepo();
  const r = await c.post(`/repos/${repo}/commits`, commitBody('main', { f: 'x' }, { author: { ...AUTHOR, date: '2024-01-02T03:04:05-07:30' } }));
  const got = await c.get(`/repos/${repo}/commits/${r.body.sha}`);
  t.is(got.body.author.date, '2024-01-02T03:04:05-07:30');
});
