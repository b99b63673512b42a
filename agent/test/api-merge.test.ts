// Compare and merge through the REST API: fast-forward, true merges equal to git's, conflicts that change nothing.
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTHOR, commitBody, InProcessAgent, startAgent } from './helpers/agent.js';
import { git, gitText, makeTempDir, removeTempDir } from './helpers/git-cli.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => agent?.close());

const text = (lines: string[]) => lines.join('\n') + '\n';
const BASE = Array.from({ length: 30 }, (_, i) => `line ${i}`);

async function setup(name: string) {
  const c = agent.client;
  await c.post('/repos', { name });
  const base = await c.post(`/repos/${name}/commits`, commitBody('main', { 'doc.txt': text(BASE), 'keep.txt': 'k\n' }));
  await c.post(`/repos/${name}/branches`, { name: 'topic', from: 'main' });
  return base.body.sha as string;
}

test('compare reports ahead/behind, commits oldest first, files and a git-style patch', async (t) => {
  const c = agent.client;
  const base = await setup('cmp');
  const edited = [...BASE];
  edited[3] = 'changed three';
  const t1 = await c.post('/repos/cmp/commits', commitBody('topic', { 'doc.txt': text(edited), 'new.txt': 'new\n' }));
  const t2 = await c.post('/repos/cmp/commits', { branch: 'topic', message: 'rm', author: AUTHOR, deletes: ['keep.txt'] });
  const r = await c.get('/repos/cmp/compare/main...topic');
  t.is(r.status, 200, JSON.stringify(r.body));
  t.is(r.body.status, 'ahead');
  t.is(r.body.aheadBy, 2);
  t.is(r.body.behindBy, 0);
  t.is(r.body.mergeBase, base);
  t.deepEqual(r.body.commits.map((x: { sha: string }) => x.sha), [t1.body.sha, t2.body.sha]);
  t.deepEqual(r.body.files.map((f: { path: string; status: string }) => [f.path, f.status]), [
    ['doc.txt', 'modified'], ['keep.txt', 'deleted'], ['new.txt', 'added'],
  ]);
  t.regex(r.body.patch, /^diff --git a\/doc.txt b\/doc.txt\n/);
  t.regex(r.body.patch, /-line 3\n\+changed three\n/);
  t.regex(r.body.patch, /new file mode 100644/);
  t.is((await c.get('/repos/cmp/compare/topic...main')).body.status, 'behind');
  t.is((await c.get('/repos/cmp/compare/main...main')).body.status, 'identical');
  t.is((await c.get('/repos/cmp/compare/main..topic')).status, 400);
  t.is((await c.get('/repos/cmp/compare/main...nope')).status, 404);
});

test('merge: up to date, fast-forward, then a true merge whose tree equals git merge-tree', async (t) => {
  const c = agent.client;
  const base = await setup('mrg');
  t.is((await c.post('/repos/mrg/merges', { base: 'main', head: 'topic' })).body.status, 'up_to_date');
  const a = [...BASE];
  a[2] = 'topic edit';
  const topic1 = await c.post('/repos/mrg/commits', commitBody('topic', { 'doc.txt': text(a) }));
  const ff = await c.post('/repos/mrg/merges', { base: 'main', head: 'topic' });
  t.is(ff.status, 200);
  t.is(ff.body.status, 'fast_forward');
  t.is((await c.get('/repos/mrg/branches/main')).body.sha, topic1.body.sha);
  // Diverge: non-overlapping edits in the same file plus different files.
  const m = [...a];
  m[25] = 'main edit';
  const mainHead = await c.post('/repos/mrg/commits', commitBody('main', { 'doc.txt': text(m), 'main-only.txt': 'm\n' }));
  const tp = [...a];
  tp[10] = 'topic edit two';
  const topicHead = await c.post('/repos/mrg/commits', commitBody('topic', { 'doc.txt': text(tp), 'dir/topic-only.txt': 't\n' }));
  const merged = await c.post('/repos/mrg/merges', { base: 'main', head: 'topic', message: 'Merge topic', author: AUTHOR });
  t.is(merged.status, 201, JSON.stringify(merged.body));
  t.is(merged.body.status, 'merged');
  t.deepEqual(merged.body.parents, [mainHead.body.sha, topicHead.body.sha]);
  const doc = (await c.get('/repos/mrg/files/doc.txt')).raw.toString();
  t.true(doc.includes('main edit') && doc.includes('topic edit two') && doc.includes('topic edit\n'));

  // git, given the same history (through a bundle), computes the same merged tree.
  const dir = makeTempDir();
  try {
    writeFileSync(join(dir, 'b.bundle'), (await c.get('/repos/mrg/bundle')).raw);
    git(['clone', '-q', '--mirror', join(dir, 'b.bundle'), join(dir, 'm.git')]);
    const gitTree = gitText(['merge-tree', '--write-tree', mainHead.body.sha, topicHead.body.sha], { cwd: join(dir, 'm.git') });
    const ours = (await c.get(`/repos/mrg/commits/${merged.body.sha}`)).body.tree;
    t.is(ours, gitTree);
    git(['fsck', '--strict', '--no-dangling'], { cwd: join(dir, 'm.git') });
  } finally {
    removeTempDir(dir);
  }
  t.truthy(base);
});

test('a conflicting merge is 409 with the paths, and nothing changes', async (t) => {
  const c = agent.client;
  await setup('cfl');
  const x = [...BASE];
  x[5] = 'main says';
  const mainHead = await c.post('/repos/cfl/commits', commitBody('main', { 'doc.txt': text(x) }));
  const y = [...BASE];
  y[5] = 'topic says';
  await c.post('/repos/cfl/commits', { ...commitBody('topic', { 'doc.txt': text(y) }), deletes: ['keep.txt'] });
  await c.post('/repos/cfl/commits', commitBody('main', { 'keep.txt': 'changed on main\n' }));
  const before = await c.get('/repos/cfl');
  const r = await c.post('/repos/cfl/merges', { base: 'main', head: 'topic' });
  t.is(r.status, 409);
  t.is(r.body.error.code, 'merge_conflict');
  t.deepEqual(r.body.error.conflicts.map((x: { path: string }) => x.path).sort(), ['doc.txt', 'keep.txt']);
  const after = await c.get('/repos/cfl');
  t.is(after.body.head, before.body.head);
  t.is(after.body.objects, before.body.objects, 'no objects were written');
  t.is(after.body.seq, before.body.seq);
  t.not(mainHead.body.sha, after.body.head);
  t.is((await c.post('/repos/cfl/merges', { base: 'nope', head: 'topic' })).status, 404);
});
