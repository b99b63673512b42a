// The REST side of git fidelity: refs and tree entries naming objects of the wrong type answer 4xx (never 500), any
// revision works wherever the API takes one, weak and listed ETags give 304, a commit can require its branch, merges
// follow renames and refuse unrelated histories, commit encodings are honoured, and the OpenAPI document says so.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCommit, encodeTree, hashObject, type ObjectType } from '../src/git/objects.js';
import { parseIfNoneMatch } from '../src/transports/http/etag.js';
import { AUTHOR, commitBody, startAgent, type InProcessAgent } from './helpers/agent.js';
import { git, gitText, makeTempDir, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => agent?.close());

const obj = (type: ObjectType, data: Buffer) => ({ id: hashObject(type, data), type, data });

test('refs at blobs and trees, tree entries of the wrong type: every read and write answers 4xx, never 500', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'wrong' });
  const main = await c.post('/repos/wrong/commits', commitBody('main', { 'keep.txt': 'keep\n', 'dir/a.txt': 'a\n' }));
  const repo = agent.store.get('wrong');
  // Built straight through the store: imports refuse such objects now, older repositories may still hold them.
  const blob = obj('blob', Buffer.from('just a blob\n'));
  const tree = obj('tree', encodeTree([{ name: 'x', mode: '100644', id: blob.id }]));
  // A tree whose "d" says directory but is a blob, and whose "f" says file but is a tree.
  const lying = obj('tree', encodeTree([{ name: 'd', mode: '40000', id: blob.id }, { name: 'f', mode: '100644', id: tree.id }]));
  const who = { name: 'A', email: 'a@example.com', timestamp: 1700000000, timezone: '+0000' };
  const badCommit = obj('commit', encodeCommit({ tree: lying.id, parents: [main.body.sha], author: who, committer: who, extraHeaders: [], message: 'bad\n' }));
  repo.apply([blob, tree, lying, badCommit], [
    { name: 'refs/heads/blobby', old: null, new: blob.id },
    { name: 'refs/heads/treey', old: null, new: tree.id },
    { name: 'refs/tags/blobtag', old: null, new: blob.id },
    { name: 'refs/heads/badtree', old: null, new: badCommit.id },
  ]);
  const requests: [string, string, unknown?][] = [
    ['GET', '/repos/wrong/tree?ref=blobby'], ['GET', '/repos/wrong/tree?ref=treey'], ['GET', '/repos/wrong/tree/dir?ref=blobtag'],
    ['GET', '/repos/wrong/files/keep.txt?ref=blobby'], ['GET', '/repos/wrong/files/x?ref=treey'], ['GET', '/repos/wrong/files/keep.txt?ref=blobtag'],
    ['GET', '/repos/wrong/commits?ref=blobby'], ['GET', '/repos/wrong/commits?ref=treey'], ['GET', '/repos/wrong/commits/blobby'],
    ['GET', `/repos/wrong/commits/${blob.id}`], ['GET', `/repos/wrong/commits/${tree.id}`], ['GET', '/repos/wrong/commits/blobtag'],
    ['GET', '/repos/wrong/compare/main...blobby'], ['GET', '/repos/wrong/compare/treey...main'], ['GET', '/repos/wrong/compare/main...badtree'],
    ['GET', '/repos/wrong/tree/d?ref=badtree'], ['GET', '/repos/wrong/files/d/x?ref=badtree'], ['GET', '/repos/wrong/files/f?ref=badtree'],
    ['GET', '/repos/wrong/commits?ref=badtree&path=d/x'],
    ['POST', '/repos/wrong/merges', { base: 'blobby', head: 'main' }], ['POST', '/repos/wrong/merges', { base: 'main', head: 'blobtag' }],
    ['POST', '/repos/wrong/merges', { base: 'treey', head: 'main' }],
    ['POST', '/repos/wrong/branches', { name: 'from-blob', from: 'blobby' }], ['POST', '/repos/wrong/branches', { name: 'from-tree', from: 'treey' }],
    ['POST', '/repos/wrong/commits', commitBody('blobby', { 'n.txt': 'n\n' })], ['POST', '/repos/wrong/commits', commitBody('treey', { 'n.txt': 'n\n' })],
    ['POST', '/repos/wrong/commits', commitBody('badtree', { 'd/y.txt': 'y\n' })],
  ];
  const before = (await c.get('/repos/wrong')).body;
  for (const [method, path, body] of requests) {
    const r = await c.request(method, path, body);
    t.true(r.status >= 400 && r.status < 500, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    t.truthy(r.body?.error?.code, `${method} ${path}`);
  }
  t.deepEqual((await c.get('/repos/wrong')).body, before, 'nothing changed');
  const codes = async (path: string) => (await c.get(path)).body.error.code;
  t.is(await codes('/repos/wrong/commits/blobby'), 'not_a_commit');
  t.is(await codes('/repos/wrong/tree?ref=treey'), 'not_a_commit');
  t.is(await codes('/repos/wrong/tree/d?ref=badtree'), 'not_a_tree');
  t.is(await codes('/repos/wrong/files/f?ref=badtree'), 'not_a_blob');
  t.is((await c.get('/repos/wrong/compare/main...blobby')).status, 422);
  t.is((await c.post('/repos/wrong/merges', { base: 'blobby', head: 'main' })).status, 422);
  // What git allows still works: a tag may name a blob, and listing tags describes it.
  t.is((await c.post('/repos/wrong/tags', { name: 'also-blob', from: 'blobby' })).status, 201);
  t.is((await c.get('/repos/wrong/tags')).status, 200);
  t.is((await c.get('/repos/wrong/bundle')).status, 200);
});

test('any revision: short shas, ~ and ^, peels, in commits, files, tree, compare, merges, branches and tags', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'revs' });
  const c1 = (await c.post('/repos/revs/commits', commitBody('main', { 'a.txt': 'one\n' }))).body.sha as string;
  const c2 = (await c.post('/repos/revs/commits', commitBody('main', { 'a.txt': 'two\n' }))).body.sha as string;
  const c3 = (await c.post('/repos/revs/commits', commitBody('main', { 'a.txt': 'three\n' }))).body.sha as string;
  await c.post('/repos/revs/tags', { name: 'v1', from: c2, message: 'release', tagger: AUTHOR });
  t.is((await c.get(`/repos/revs/commits/${c2.slice(0, 7)}`)).body.sha, c2);
  t.is((await c.get(`/repos/revs/commits/${c3.slice(0, 4)}`)).body.sha, c3);
  t.is((await c.get('/repos/revs/commits/main~1')).body.sha, c2);
  t.is((await c.get('/repos/revs/commits/main^^')).body.sha, c1);
  t.is((await c.get('/repos/revs/commits/HEAD~2')).body.sha, c1);
  t.is((await c.get(`/repos/revs/commits/${encodeURIComponent('v1^{commit}')}`)).body.sha, c2);
  t.is((await c.get('/repos/revs/commits/v1')).body.sha, c2);
  t.is((await c.get(`/repos/revs/files/a.txt?ref=${c1.slice(0, 8)}`)).raw.toString(), 'one\n');
  t.is((await c.get(`/repos/revs/files/a.txt?ref=${encodeURIComponent('main~1')}`)).raw.toString(), 'two\n');
  t.is((await c.get(`/repos/revs/tree?ref=${encodeURIComponent('main^')}`)).body.commit, c2);
  t.is((await c.get(`/repos/revs/commits?ref=${c2.slice(0, 6)}`)).body.commits.length, 2);
  const cmp = await c.get(`/repos/revs/compare/${encodeURIComponent('main~2')}...${c3.slice(0, 9)}`);
  t.deepEqual(cmp.body.commits.map((x: { sha: string }) => x.sha), [c2, c3]);
  t.is((await c.post('/repos/revs/branches', { name: 'old', from: 'main~2' })).body.sha, c1);
  t.is((await c.post('/repos/revs/tags', { name: 'light', from: c1.slice(0, 10) })).body.sha, c1);
  t.is((await c.post('/repos/revs/merges', { base: 'old', head: 'main~1' })).body.status, 'fast_forward');
  const errors: [string, number, string][] = [
    ['/repos/revs/commits/main~9', 404, 'revision_not_found'], ['/repos/revs/commits/abc', 404, 'ref_not_found'],
    [`/repos/revs/commits/${encodeURIComponent('main@{1}')}`, 400, 'invalid_revision'], ['/repos/revs/commits/ffffffff', 404, 'revision_not_found'],
  ];
  for (const [path, status, code] of errors) {
    const r = await c.get(path);
    t.is(r.status, status, path);
    t.is(r.body.error.code, code, path);
  }
  // Two blobs sharing their first four hex digits: a short sha naming both is a 400 that lists them.
  const seen = new Map<string, string>();
  let pair: [string, string] | undefined;
  for (let i = 0; !pair; i++) {
    const text = `twin ${i}\n`;
    const p = hashObject('blob', Buffer.from(text)).slice(0, 4);
    const other = seen.get(p);
    if (other) pair = [other, text];
    else seen.set(p, text);
  }
  await c.post('/repos/revs/commits', commitBody('twins', { x: pair[0], y: pair[1] }));
  const prefix = hashObject('blob', Buffer.from(pair[0])).slice(0, 4);
  const amb = await c.post('/repos/revs/tags', { name: 'amb', from: prefix });
  t.is(amb.status, 400);
  t.is(amb.body.error.code, 'ambiguous_revision');
  t.is(amb.body.error.candidates.length >= 2, true);
});

test('If-None-Match: the tag, its weak form, a list holding it, or * give 304; anything else the file', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'etag' });
  await c.post('/repos/etag/commits', commitBody('main', { 'f.txt': 'content\n' }));
  const first = await c.get('/repos/etag/files/f.txt');
  const etag = first.headers.get('etag')!;
  const id = etag.slice(1, -1);
  const cases: [string, number][] = [
    [etag, 304], [`W/${etag}`, 304], [`"other", W/"${id}"`, 304], [`"a",${etag}`, 304], ['*', 304], [` ${etag} `, 304],
    ['"other"', 200], [`W/"other", "more"`, 200], ['garbage', 200], [id, 200], ['', 200],
  ];
  for (const [header, status] of cases) {
    const r = await c.request('GET', '/repos/etag/files/f.txt', undefined, { 'if-none-match': header });
    t.is(r.status, status, header);
    if (status === 304) t.is(r.headers.get('etag'), etag);
  }
  t.deepEqual(parseIfNoneMatch('W/"a", "b,c" ,"d"'), ['a', 'b,c', 'd']);
  t.is(parseIfNoneMatch('"a" "b"'), undefined);
  t.is(parseIfNoneMatch(' * '), '*');
});

test('createBranch: false makes a commit to a missing branch 404 branch_not_found and changes nothing', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'cb' });
  await c.post('/repos/cb/commits', commitBody('main', { 'f.txt': '1\n' }));
  const before = (await c.get('/repos/cb')).body;
  const r = await c.post('/repos/cb/commits', commitBody('mian', { 'f.txt': '2\n' }, { createBranch: false }));
  t.is(r.status, 404);
  t.is(r.body.error.code, 'branch_not_found');
  t.deepEqual((await c.get('/repos/cb')).body, before);
  t.is((await c.get('/repos/cb/branches/mian')).status, 404);
  t.is((await c.post('/repos/cb/commits', commitBody('main', { 'f.txt': '2\n' }, { createBranch: false }))).status, 201);
  t.is((await c.post('/repos/cb/commits', commitBody('new', { 'f.txt': '3\n' }))).status, 201, 'the default still creates the branch');
  t.is((await c.post('/repos/cb/commits', commitBody('main', { 'f.txt': '4\n' }, { createBranch: 'no' }))).status, 400);
});

test('merges follow renames like git and refuse unrelated histories unless allowUnrelatedHistories', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'mr' });
  const doc = Array.from({ length: 20 }, (_, i) => `line ${i}\n`).join('');
  await c.post('/repos/mr/commits', commitBody('main', { 'src/a.txt': doc }));
  await c.post('/repos/mr/branches', { name: 'topic', from: 'main' });
  await c.post('/repos/mr/commits', { ...commitBody('main', { 'lib/a.txt': doc }), deletes: ['src/a.txt'] });
  await c.post('/repos/mr/commits', commitBody('topic', { 'src/a.txt': doc.replace('line 4\n', 'line four\n') }));
  const merged = await c.post('/repos/mr/merges', { base: 'main', head: 'topic' });
  t.is(merged.status, 201, JSON.stringify(merged.body));
  t.is((await c.get('/repos/mr/files/lib/a.txt')).raw.toString(), doc.replace('line 4\n', 'line four\n'));
  t.is((await c.get('/repos/mr/files/src/a.txt')).status, 404);
  // An orphan branch: no common ancestor.
  await c.post('/repos/mr/commits', commitBody('orphan', { 'other.txt': 'other\n' }));
  const before = (await c.get('/repos/mr')).body;
  const refused = await c.post('/repos/mr/merges', { base: 'main', head: 'orphan' });
  t.is(refused.status, 422);
  t.is(refused.body.error.code, 'unrelated_histories');
  t.deepEqual((await c.get('/repos/mr')).body, before);
  const allowed = await c.post('/repos/mr/merges', { base: 'main', head: 'orphan', allowUnrelatedHistories: true });
  t.is(allowed.status, 201);
  const dir = makeTempDir();
  try {
    writeFileSync(join(dir, 'b.bundle'), (await c.get('/repos/mr/bundle')).raw);
    git(['clone', '-q', '--mirror', join(dir, 'b.bundle'), join(dir, 'm.git')]);
    const [p1, p2] = allowed.body.parents;
    const gitTree = gitText(['merge-tree', '--write-tree', '--allow-unrelated-histories', p1, p2], { cwd: join(dir, 'm.git') });
    t.is((await c.get(`/repos/mr/commits/${allowed.body.sha}`)).body.tree, gitTree);
  } finally {
    removeTempDir(dir);
  }
});

test('a commit encoding header is honoured: messages and names come back as git log shows them', async (t) => {
  const c = agent.client;
  const dir = makeTempRepo();
  try {
    const commit = (encoding: string, name: Buffer, message: Buffer) => {
      writeFileSync(join(dir, 'f'), message);
      git(['add', 'f'], { cwd: dir });
      const tree = gitText(['write-tree'], { cwd: dir });
      let parent = '';
      try {
        parent = gitText(['rev-parse', '--verify', '-q', 'refs/heads/main'], { cwd: dir });
      } catch {
        // the first commit
      }
      const body = Buffer.concat([
        Buffer.from(`tree ${tree}\n${parent ? `parent ${parent}\n` : ''}author `), name, Buffer.from(' <n@example.com> 1700000000 +0000\ncommitter '),
        name, Buffer.from(` <n@example.com> 1700000000 +0000\n${encoding ? `encoding ${encoding}\n` : ''}\n`), message,
      ]);
      const id = gitText(['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: dir, input: body });
      git(['update-ref', 'refs/heads/main', id], { cwd: dir });
      return id;
    };
    const ids = [
      commit('ISO-8859-1', Buffer.from('Fran\xe7ois M\xfcller', 'latin1'), Buffer.from('Caf\xe9 cr\xe8me \x93quoted\x94\n', 'latin1')),
      commit('SHIFT_JIS', Buffer.from([0x93, 0xfa, 0x96, 0x7b]), Buffer.from([0x82, 0xb1, 0x82, 0xf1, 0x82, 0xc9, 0x82, 0xbf, 0x82, 0xcd, 0x0a])),
      commit('x-no-such-encoding', Buffer.from('Plain'), Buffer.from('caf\xc3\xa9 stays UTF-8\n', 'latin1')),
      commit('', Buffer.from('Zo\xc3\xab', 'latin1'), Buffer.from('utf-8 without a header\n')),
    ];
    const file = join(dir, 'e.bundle');
    git(['bundle', 'create', '-q', file, 'main'], { cwd: dir });
    await c.post('/repos', { name: 'enc' });
    const imported = await c.request('POST', '/repos/enc/bundle', (await import('node:fs')).readFileSync(file), {});
    t.is(imported.status, 200, JSON.stringify(imported.body));
    for (const id of ids) {
      const shown = git(['log', '-1', '--encoding=UTF-8', '--format=%an%x00%B', id], { cwd: dir }).toString('utf8');
      const [name, message] = shown.split('\0');
      const r = await c.get(`/repos/enc/commits/${id}`);
      t.is(r.body.author.name, name, id);
      t.is(r.body.message, message.replace(/\n$/, ''), id);
    }
    t.is((await c.get(`/repos/enc/commits/${ids[0]}`)).body.message, 'Café crème \u0093quoted\u0094\n');
  } finally {
    removeTempDir(dir);
  }
});

test('the OpenAPI document describes the bundle body, compare pagination, createBranch and allowUnrelatedHistories', async (t) => {
  const doc = (await agent.client.get('/openapi.json')).body;
  const body = doc.paths['/api/v1/repos/{repo}/bundle'].post.requestBody;
  for (const type of ['application/x-git-bundle', 'application/octet-stream']) t.deepEqual(body.content[type].schema.format, 'binary', type);
  const compareParams = doc.paths['/api/v1/repos/{repo}/compare/{*}'].get.parameters.map((p: { name: string }) => p.name);
  t.true(compareParams.includes('limit') && compareParams.includes('cursor'));
  const commitBodySchema = doc.paths['/api/v1/repos/{repo}/commits'].post.requestBody.content['application/json'].schema;
  t.is(commitBodySchema.properties.createBranch.type, 'boolean');
  const mergeBody = doc.paths['/api/v1/repos/{repo}/merges'].post.requestBody.content['application/json'].schema;
  t.is(mergeBody.properties.allowUnrelatedHistories.type, 'boolean');
});
