// The real git CLI as the oracle: export through the REST bundle endpoint, clone, fsck --strict, and compare history and
// content; import a bundle git made (with deltas) and read it back through the API.
import test from 'ava';
import { readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUTHOR, InProcessAgent, startAgent } from './helpers/agent.js';
import { git, gitText, makeSampleRepo, makeTempDir, removeTempDir } from './helpers/git-cli.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent();
});
test.after.always(async () => agent?.close());

test('a repository built through the API clones with git, passes fsck --strict, and git agrees on every sha and byte', async (t) => {
  const c = agent.client;
  await c.post('/repos', { name: 'oracle', defaultBranch: 'main' });
  const bin = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 131) % 256));
  const shas: string[] = [];
  const commit = async (body: Record<string, unknown>) => {
    const r = await c.post('/repos/oracle/commits', { message: 'change', author: AUTHOR, branch: 'main', ...body });
    t.is(r.status, 201, JSON.stringify(r.body));
    shas.push(r.body.sha);
    return r.body.sha as string;
  };
  await commit({
    message: 'initial\n\nwith a body',
    files: [
      { path: 'README.md', content: '# oracle\n' },
      { path: 'src/deep/er/x.ts', content: 'export {}\n' },
      { path: 'run.sh', content: '#!/bin/sh\necho hi\n', mode: '100755' },
      { path: 'link', content: 'README.md', mode: '120000' },
      { path: 'bin/data', content: bin.toString('base64'), encoding: 'base64' },
      { path: 'ünïcødé/名前.txt', content: '名前\n' },
    ],
  });
  await commit({ files: [{ path: 'src/deep/er/x.ts', content: 'export const x = 1\n' }], deletes: ['README.md'], committer: { name: 'Other', email: 'o@x', date: '2024-06-01T10:00:00-05:00' } });
  await c.post('/repos/oracle/branches', { name: 'side', from: shas[0] });
  const side = await c.post('/repos/oracle/commits', { branch: 'side', message: 'side work', author: AUTHOR, files: [{ path: 'side.txt', content: 'side\n' }] });
  const merged = await c.post('/repos/oracle/merges', { base: 'main', head: 'side', message: 'Merge side', author: AUTHOR });
  t.is(merged.status, 201, JSON.stringify(merged.body));
  t.deepEqual(merged.body.parents, [shas[1], side.body.sha]);
  await c.post('/repos/oracle/tags', { name: 'v1', from: 'main', message: 'release one', tagger: AUTHOR });

  const bundle = await c.get('/repos/oracle/bundle');
  t.is(bundle.status, 200);
  const dir = makeTempDir();
  try {
    writeFileSync(join(dir, 'oracle.bundle'), bundle.raw);
    git(['clone', '-q', join(dir, 'oracle.bundle'), join(dir, 'clone')]);
    const clone = join(dir, 'clone');
    git(['bundle', 'verify', join(dir, 'oracle.bundle')], { cwd: clone });
    git(['fsck', '--strict', '--no-dangling'], { cwd: clone });
    t.is(gitText(['rev-parse', 'HEAD'], { cwd: clone }), merged.body.sha);
    t.is(gitText(['rev-parse', 'origin/side'], { cwd: clone }), side.body.sha);
    t.is(gitText(['cat-file', '-t', 'v1'], { cwd: clone }), 'tag');
    const gitLog = gitText(['log', '--format=%H', 'HEAD'], { cwd: clone }).split('\n');
    const apiLog = (await c.get('/repos/oracle/commits?limit=100')).body.commits.map((x: { sha: string }) => x.sha);
    t.deepEqual(apiLog, gitLog);
    // Working tree content, modes and symlink as git checked them out.
    t.deepEqual(readFileSync(join(clone, 'bin/data')), bin);
    t.is(readlinkSync(join(clone, 'link')), 'README.md');
    t.truthy(statSync(join(clone, 'run.sh')).mode & 0o100);
    t.is(readFileSync(join(clone, 'ünïcødé/名前.txt'), 'utf8'), '名前\n');
    t.is(gitText(['log', '-1', '--format=%an|%ae|%ad|%cn|%cd', '--date=iso-strict', shas[1]], { cwd: clone }),
      `${AUTHOR.name}|${AUTHOR.email}|${AUTHOR.date}|Other|2024-06-01T10:00:00-05:00`);
    const first = await c.get(`/repos/oracle/commits/${shas[0]}`);
    t.is(first.body.message, gitText(['log', '-1', '--format=%B', shas[0]], { cwd: clone }) + '\n');
    for (const path of ['src/deep/er/x.ts', 'side.txt', 'run.sh']) {
      t.deepEqual((await c.get(`/repos/oracle/files/${path}`)).raw, git(['show', `HEAD:${path}`], { cwd: clone }));
    }
    const tree = (await c.get('/repos/oracle/tree/src/deep/er')).body;
    t.is(tree.id, gitText(['rev-parse', 'HEAD:src/deep/er'], { cwd: clone }));
  } finally {
    removeTempDir(dir);
  }
});

test('a bundle git made with deltas imports, and reads back through the API exactly as git shows it', async (t) => {
  const src = makeSampleRepo();
  const dir = makeTempDir();
  try {
    git(['gc', '-q', '--aggressive'], { cwd: src });
    git(['bundle', 'create', join(dir, 'all.bundle'), '--all'], { cwd: src });
    const c = agent.client;
    await c.post('/repos', { name: 'imported' });
    const r = await c.post('/repos/imported/bundle', readFileSync(join(dir, 'all.bundle')));
    t.is(r.status, 200, JSON.stringify(r.body));
    t.is(r.body.objects, Number(gitText(['count-objects', '-v'], { cwd: src }).match(/in-pack: (\d+)/)![1]));
    const branches = (await c.get('/repos/imported/branches')).body.branches;
    t.deepEqual(branches.map((b: { name: string; sha: string }) => [b.name, b.sha]), [
      ['feature', gitText(['rev-parse', 'feature'], { cwd: src })],
      ['main', gitText(['rev-parse', 'main'], { cwd: src })],
    ]);
    const tags = (await c.get('/repos/imported/tags')).body.tags;
    t.deepEqual(tags.map((x: { name: string; annotated: boolean }) => [x.name, x.annotated]), [['light', false], ['v1.0', true]]);
    const gitLog = gitText(['log', '--format=%H', 'main'], { cwd: src }).split('\n');
    const apiLog = (await c.get('/repos/imported/commits?ref=main&limit=100')).body.commits.map((x: { sha: string }) => x.sha);
    t.deepEqual(apiLog, gitLog);
    for (const path of ['src/big.txt', 'data/blob.bin', 'ünïcødé/日本語.txt', 'bin/run.sh']) {
      t.deepEqual((await c.get(`/repos/imported/files/${encodeURI(path)}?ref=main`)).raw, git(['show', `main:${path}`], { cwd: src }), path);
    }
    const pathLog = (await c.get('/repos/imported/commits?ref=main&path=src/lib&limit=100')).body.commits.map((x: { sha: string }) => x.sha);
    t.deepEqual(pathLog, gitText(['log', '--format=%H', 'main', '--', 'src/lib'], { cwd: src }).split('\n'));
    // Importing the same bundle again is a no-op; a bundle that rewinds a branch is refused.
    const again = await c.post('/repos/imported/bundle', readFileSync(join(dir, 'all.bundle')));
    t.is(again.status, 200);
    t.deepEqual(again.body.refs, []);
    git(['update-ref', 'refs/heads/main', 'main~2'], { cwd: src });
    git(['bundle', 'create', join(dir, 'rewind.bundle'), 'main'], { cwd: src });
    const rewind = await c.post('/repos/imported/bundle', readFileSync(join(dir, 'rewind.bundle')));
    t.is(rewind.status, 409, JSON.stringify(rewind.body));
    t.is(rewind.body.error.code, 'non_fast_forward');
    t.is((await c.get('/repos/imported/branches/main')).body.sha, gitLog[0]);
  } finally {
    removeTempDir(src);
    removeTempDir(dir);
  }
});

test('an empty repository adopts the bundle HEAD branch as its default branch', async (t) => {
  const src = makeSampleRepo();
  const dir = makeTempDir();
  try {
    git(['checkout', '-q', '-b', 'develop'], { cwd: src });
    git(['bundle', 'create', join(dir, 'dev.bundle'), 'HEAD', 'develop'], { cwd: src });
    await agent.client.post('/repos', { name: 'adopt' });
    const r = await agent.client.post('/repos/adopt/bundle', readFileSync(join(dir, 'dev.bundle')));
    t.is(r.status, 200, JSON.stringify(r.body));
    t.is(r.body.defaultBranch, 'develop');
    t.is((await agent.client.get('/repos/adopt')).body.head, gitText(['rev-parse', 'HEAD'], { cwd: src }));
  } finally {
    removeTempDir(src);
    removeTempDir(dir);
  }
});
