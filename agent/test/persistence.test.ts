// The local-disk tier: acknowledged writes survive kill -9 of the agent process; a torn journal tail is repaired; a
// corrupt journal in the middle refuses to load instead of serving a shortened history.
import test from 'ava';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitBody, spawnAgent, tempDir } from './helpers/agent.js';

test('every acknowledged commit survives kill -9 and a restart', async (t) => {
  const data = tempDir();
  const a = await spawnAgent({ GOVC_DATA_DIR: data });
  const c = a.client;
  t.is((await c.post('/repos', { name: 'durable', defaultBranch: 'trunk', description: 'd' })).status, 201);
  const acked: string[] = [];
  // Keep writing while the process is killed: every 201 we saw must be there after restart.
  let stop = false;
  const writer = (async () => {
    for (let i = 0; !stop; i++) {
      try {
        const r = await c.post('/repos/durable/commits', commitBody('trunk', { [`f${i % 7}`]: `v${i}` }));
        if (r.status === 201) acked.push(r.body.sha);
      } catch {
        return; // the connection died with the process
      }
    }
  })();
  // Kill once a good number of writes were acknowledged (bounded in time: the machine may be busy).
  for (const deadline = Date.now() + 10000; acked.length < 30 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
  await a.stop('SIGKILL');
  stop = true;
  await writer;
  t.true(acked.length >= 30, `only ${acked.length} commits acknowledged`);

  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    const repo = await b.client.get('/repos/durable');
    t.is(repo.status, 200);
    t.is(repo.body.defaultBranch, 'trunk');
    t.is(repo.body.description, 'd');
    const log = (await b.client.get('/repos/durable/commits?limit=1000')).body.commits.map((x: { sha: string }) => x.sha);
    for (const sha of acked) t.true(log.includes(sha), `acknowledged ${sha} lost`);
    // The branch moved at least to the last acknowledged commit, never behind it.
    t.true(log.indexOf(acked[acked.length - 1]) <= 1);
    // And the restarted agent keeps writing on top.
    t.is((await b.client.post('/repos/durable/commits', commitBody('trunk', { after: 'restart' }))).status, 201);
    t.is((await b.client.delete('/repos/durable')).status, 204);
  } finally {
    await b.stop();
  }
  const c2 = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    t.is((await c2.client.get('/repos/durable')).status, 404, 'a deleted repository stays deleted');
  } finally {
    await c2.stop();
  }
});

test('a torn record at the journal tail is cut off; damage in the middle refuses to load', async (t) => {
  const data = tempDir();
  const a = await spawnAgent({ GOVC_DATA_DIR: data });
  await a.client.post('/repos', { name: 'j' });
  const one = await a.client.post('/repos/j/commits', commitBody('main', { f: '1' }));
  const two = await a.client.post('/repos/j/commits', commitBody('main', { f: '2' }));
  await a.stop();
  const journal = join(data, 'repos', 'j', 'journal');
  const good = readFileSync(journal);
  // A half-written record: a length header promising more bytes than follow.
  appendFileSync(journal, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]));
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    t.is((await b.client.get('/repos/j')).body.head, two.body.sha);
    t.deepEqual(readFileSync(journal), good, 'the torn tail was cut off');
  } finally {
    await b.stop();
  }
  // Flip a byte inside the first record: loading must fail loudly rather than drop history.
  const damaged = Buffer.from(good);
  damaged[20] ^= 0xff;
  writeFileSync(journal, damaged);
  await t.throwsAsync(spawnAgent({ GOVC_DATA_DIR: data }), { message: /corrupt/ });
  t.truthy(one.body.sha);
});

test('memory-only mode (GOVC_DATA_DIR empty) writes nothing to disk', async (t) => {
  const cwd = tempDir();
  const a = await spawnAgent({ GOVC_DATA_DIR: '' }, { cwd });
  try {
    t.is((await a.client.post('/repos', { name: 'm' })).status, 201);
    t.is((await a.client.post('/repos/m/commits', commitBody('main', { f: '1' }))).status, 201);
  } finally {
    await a.stop();
  }
  t.deepEqual(readdirSync(cwd), []);
});

test('invalid configuration exits with a clear message', async (t) => {
  await t.throwsAsync(spawnAgent({ GOVC_HTTP_ADDR: 'nonsense' }), { message: /GOVC_HTTP_ADDR must be host:port/ });
  await t.throwsAsync(spawnAgent({ GOVC_LOG_LEVEL: 'loud' }), { message: /GOVC_LOG_LEVEL/ });
});
