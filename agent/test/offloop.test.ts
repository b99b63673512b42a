// Heavy requests never stall the event loop: a child agent answers /healthz (probed every ~10 ms) within 100 ms while
// large bundles are imported (express.bundle three times at once, a generated 56k-object repository with MiB blobs),
// while a large repository is exported, and while a 48 MiB base64 commit is made; decompression bombs are refused with
// the agent's RSS growing by less than 100 MB; a worker thread that dies mid-import fails that request alone with 503.
//
// The child agents run memory-only (GOVC_DATA_DIR=""): the journal append of a change is the durability tier's and is
// measured separately (see the README's limits section).
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startAgent, spawnAgent, AUTHOR, type AgentProcess } from './helpers/agent.js';
import { git, gitText, makeTempDir, removeTempDir } from './helpers/git-cli.js';
import { deltaBombBundle, zeroBlobBundle } from './helpers/hostile-bundles.js';
import { assertLoopFree, probeWhile, rssBytes } from './helpers/loop-probe.js';
import { manyObjectsBundle } from './helpers/many-objects-repo.js';
import { workerPool } from '../src/workers/pool.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';

const EXPRESS = EXPRESS_BUNDLE;
const EXPRESS_OBJECTS = 33522;

const cleanup: string[] = [];
test.after.always(() => {
  for (const d of cleanup) removeTempDir(d);
});

/** A memory-only child agent for the test, and an idle one beside it as the control. */
async function withChild(fn: (a: AgentProcess, probe: ProbeOptions) => Promise<void>): Promise<void> {
  const [a, control] = await Promise.all([spawnAgent({ GOVC_DATA_DIR: '' }), spawnAgent({ GOVC_DATA_DIR: '' })]);
  try {
    await fn(a, { pid: a.child.pid, controlRoot: control.root });
  } finally {
    await Promise.all([a.stop(), control.stop()]);
  }
}

interface ProbeOptions {
  pid?: number;
  controlRoot: string;
}

test.serial('/healthz answers within 100 ms while express.bundle is imported three times at once and a 56k-object repository once', async (t) => {
  const express = readFileSync(EXPRESS);
  const many = manyObjectsBundle({ commits: 4000, changesPerCommit: 4, files: 600, bigBlobs: 6, bigBlobBytes: 2 * 2 ** 20 });
  await withChild(async (a, probe) => {
    for (const name of ['ex0', 'ex1', 'ex2', 'many']) await a.client.post('/repos', { name });
    const imports = () => Promise.all([
      ...['ex0', 'ex1', 'ex2'].map((name) => a.client.post(`/repos/${name}/bundle`, express)),
      a.client.post('/repos/many/bundle', many),
    ]);
    const { report, result } = await probeWhile(a.root, imports, probe);
    for (const r of result) t.is(r.status, 200, JSON.stringify(r.body));
    t.deepEqual(result.slice(0, 3).map((r) => r.body.objects), [EXPRESS_OBJECTS, EXPRESS_OBJECTS, EXPRESS_OBJECTS]);
    t.true(result[3].body.objects > 50_000);
    assertLoopFree(t, 'imports', report);
  });
});

test.serial('/healthz answers within 100 ms while a large repository is exported; git clones the export', async (t) => {
  const dir = makeTempDir();
  cleanup.push(dir);
  await withChild(async (a, probe) => {
    await a.client.post('/repos', { name: 'ex' });
    t.is((await a.client.post('/repos/ex/bundle', readFileSync(EXPRESS))).status, 200);
    const { report, result } = await probeWhile(a.root, () => a.client.get('/repos/ex/bundle'), probe);
    t.is(result.status, 200);
    assertLoopFree(t, 'export', report);
    const file = join(dir, 'ex.bundle');
    writeFileSync(file, result.raw);
    git(['clone', '-q', '--bare', file, join(dir, 'clone.git')]);
    t.is(Number(gitText(['count-objects', '-v'], { cwd: join(dir, 'clone.git') }).match(/in-pack: (\d+)/)![1]), EXPRESS_OBJECTS);
    t.is(gitText(['rev-parse', 'HEAD'], { cwd: join(dir, 'clone.git') }), 'a3714473feb3d2908add734d340e7755fd85e0a3');
  });
});

test.serial('/healthz answers within 100 ms while a 48 MiB base64 file is committed; it reads back exactly', async (t) => {
  const data = Buffer.alloc(36 * 2 ** 20);
  for (let i = 0; i < data.length; i += 512) data.writeUInt32LE((i * 2654435761) >>> 0, i);
  const content = data.toString('base64');
  t.is(content.length, 48 * 2 ** 20);
  await withChild(async (a, probe) => {
    await a.client.post('/repos', { name: 'big' });
    const body = { branch: 'main', message: 'a 48 MiB base64 file', author: AUTHOR, files: [{ path: 'assets/big.bin', content, encoding: 'base64' }] };
    // the body is serialised before the probes start: this process's own work is not the agent's
    const text = JSON.stringify(body);
    const { report, result } = await probeWhile(a.root, () => a.client.request('POST', '/repos/big/commits', text, { 'content-type': 'application/json' }), probe);
    t.is(result.status, 201, JSON.stringify(result.body));
    assertLoopFree(t, '48 MiB commit', report);
    const back = await a.client.get('/repos/big/files/assets/big.bin');
    t.true(back.raw.equals(data));
  });
});

test.serial('decompression bombs are refused with 413 while the agent grows by less than 100 MB', async (t) => {
  const bombs: [string, Buffer, string][] = [
    ['512 MiB of zeros in one blob', await zeroBlobBundle(512 * 2 ** 20), 'object_too_large'],
    ['a delta describing 512 MiB', deltaBombBundle(512 * 2 ** 20), 'object_too_large'],
    ['25 deltas of 90 MiB each', deltaBombBundle(90 * 2 ** 20, 25), 'import_too_large'],
  ];
  await withChild(async (a) => {
    await a.client.post('/repos', { name: 'warm' });
    // warm the worker pool up first: a thread's own startup is not what is measured
    await a.client.post('/repos/warm/bundle', deltaBombBundle(2 ** 20));
    const pid = a.child.pid!;
    for (const [what, bundle, code] of bombs) {
      await a.client.post('/repos', { name: 'target' });
      const rss0 = rssBytes(pid);
      const { report, result } = await probeWhile(a.root, () => a.client.post('/repos/target/bundle', bundle), { pid });
      t.is(result.status, 413, what);
      t.is(result.body.error.code, code, what);
      const growth = report.maxRss - rss0;
      t.log(`${what}: ${bundle.length} bytes of bundle, RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB`);
      t.true(growth < 100 * 1e6, `${what}: RSS grew by ${growth} bytes`);
      const branches = (await a.client.get('/repos/target/branches')).body;
      t.deepEqual(branches.branches, []);
      await a.client.delete('/repos/target');
    }
  });
});

test.serial('a worker thread that dies mid-import fails that request with 503 and changes nothing; everything else is served', async (t) => {
  const a = await startAgent();
  try {
    await a.client.post('/repos', { name: 'victim' });
    await a.client.post('/repos', { name: 'bystander' });
    const pending = a.client.post('/repos/victim/bundle', readFileSync(EXPRESS));
    const deadline = Date.now() + 10_000;
    while (workerPool().threads.length === 0) {
      if (Date.now() > deadline) throw new Error('the import never reached a worker');
      await new Promise((r) => setTimeout(r, 10));
    }
    // the thread starts, then spends about a second on express.bundle
    await new Promise((r) => setTimeout(r, 300));
    for (const w of workerPool().threads) void w.terminate();
    const r = await pending;
    t.is(r.status, 503);
    t.is(r.body.error.code, 'worker_failed');
    t.is(a.store.get('victim').objects.size, 0);
    t.deepEqual(a.store.get('victim').listRefs(), []);
    // the rest of the agent: reads, writes, and a new import on a fresh thread
    t.is((await a.client.post('/repos/bystander/commits', { branch: 'main', message: 'still here', author: AUTHOR, files: [{ path: 'a', content: 'a' }] })).status, 201);
    t.is((await a.client.get('/repos/bystander/files/a')).raw.toString(), 'a');
    const again = await a.client.post('/repos/victim/bundle', readFileSync(EXPRESS));
    t.is(again.status, 200);
    t.is(again.body.objects, EXPRESS_OBJECTS);
  } finally {
    await a.close();
  }
});

test.serial('an export the client does not read holds no thread imports need, and stops when the client goes away', async (t) => {
  const a = await startAgent();
  try {
    await a.client.post('/repos', { name: 'ex' });
    t.is((await a.client.post('/repos/ex/bundle', readFileSync(EXPRESS))).status, 200);
    const port = new URL(a.client.base).port;
    // Two downloads that read one piece and then nothing: the agent may buffer a few pieces each, no more.
    const stalled = [0, 1].map(() => new Promise<{ destroy(): void; received: () => number }>((resolve, reject) => {
      let received = 0;
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/v1/repos/ex/bundle' }, (res) => {
        res.once('data', (d: Buffer) => {
          received += d.length;
          res.pause();
          resolve({ destroy: () => req.destroy(), received: () => received });
        });
      });
      req.on('error', reject);
      req.end();
    }));
    const downloads = await Promise.all(stalled);
    const started = workerPool('streams').completed;
    // imports (as many as there are threads, and more) still go through
    for (const name of ['i0', 'i1', 'i2']) await a.client.post('/repos', { name });
    const imports = await Promise.all(['i0', 'i1', 'i2'].map((name) => a.client.post(`/repos/${name}/bundle`, readFileSync(EXPRESS))));
    t.deepEqual(imports.map((r) => r.status), [200, 200, 200]);
    t.is(workerPool('streams').completed, started, 'the stalled exports are still waiting');
    for (const d of downloads) d.destroy();
    const deadline = Date.now() + 10_000;
    while (workerPool('streams').completed < started + 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.is(workerPool('streams').completed, started + 2, 'both exports stopped once their clients left');
  } finally {
    await a.close();
  }
});
