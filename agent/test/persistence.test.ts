// The local-disk tier with real agent processes: acknowledged writes survive kill -9; a torn journal tail is cut with a
// warning; a damaged repository (a flipped byte anywhere in a complete record, a meta.json that does not parse) is
// quarantined alone — 503 repository_damaged, a gauge, a log line — while the agent starts and every other repository
// serves; it is never cut to a shortened history.
import test, { ExecutionContext } from 'ava';
import { appendFileSync, closeSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileSource, journalEntries } from '../src/persistence/record-reader.js';
import { AgentProcess, commitBody, spawnAgent, tempDir } from './helpers/agent.js';
import { sample } from './helpers/replication-cluster.js';

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

  // The killed agent left the zeros it preallocated past the records: they read as the end, nothing is cut.
  const entries = journalKinds(join(data, 'repos', 'durable', 'journal'));
  t.is(entries[entries.length - 1], 'end');
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    t.notRegex(b.output(), /cut a torn record/);
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

test('a torn record at the journal tail is cut off, with a warning', async (t) => {
  const data = tempDir();
  const a = await spawnAgent({ GOVC_DATA_DIR: data });
  await a.client.post('/repos', { name: 'j' });
  await a.client.post('/repos/j/commits', commitBody('main', { f: '1' }));
  const two = await a.client.post('/repos/j/commits', commitBody('main', { f: '2' }));
  await a.stop();
  const journal = join(data, 'repos', 'j', 'journal');
  t.false(journalKinds(journal).includes('end'), 'a clean stop gives preallocated space back');
  const good = readFileSync(journal);
  // A half-written record: a length header promising more bytes than follow.
  appendFileSync(journal, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 9, 9]));
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    t.is((await b.client.get('/repos/j')).body.head, two.body.sha);
    t.deepEqual(readFileSync(journal), good, 'the torn tail was cut off');
    t.regex(b.output(), /"message":"cut a torn record off a journal".*"repo":"j"/);
    t.is((await b.client.post('/repos/j/commits', commitBody('main', { f: '3' }))).status, 201);
  } finally {
    await b.stop();
  }
});

/** The kinds of a journal's entries, read the way the agent reads them. */
function journalKinds(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    return [...journalEntries(fileSource(fd))].map((e) => e.kind);
  } finally {
    closeSync(fd);
  }
}

/** Offsets of a journal's records, read the way the agent reads them. */
function recordOffsets(path: string): number[] {
  const fd = openSync(path, 'r');
  try {
    return [...journalEntries(fileSource(fd))].filter((e) => e.kind === 'record').map((e) => e.offset);
  } finally {
    closeSync(fd);
  }
}

/** Three repositories with a few commits each; returns each one's head. */
async function threeRepos(data: string): Promise<Record<string, string>> {
  const a = await spawnAgent({ GOVC_DATA_DIR: data });
  const heads: Record<string, string> = {};
  try {
    for (const name of ['alpha', 'beta', 'gamma']) {
      await a.client.post('/repos', { name });
      for (let i = 0; i < 5; i++) heads[name] = (await a.client.post(`/repos/${name}/commits`, commitBody('main', { [`f${i}`]: `${name} ${i}\n`.repeat(20) }))).body.sha;
    }
  } finally {
    await a.stop();
  }
  return heads;
}

async function expectQuarantinedAlone(t: ExecutionContext, b: AgentProcess, heads: Record<string, string>, reason: RegExp): Promise<void> {
  const r = await b.client.get('/repos/beta');
  t.is(r.status, 503);
  t.is(r.body.error.code, 'repository_damaged');
  t.regex(r.body.error.message, reason);
  t.is((await b.client.get('/repos/beta/commits')).status, 503);
  t.is((await b.client.post('/repos/beta/commits', commitBody('main', { x: '1' }))).status, 503);
  // Every other repository serves normally, reads and writes.
  for (const name of ['alpha', 'gamma']) {
    t.is((await b.client.get(`/repos/${name}`)).body.head, heads[name]);
    t.is((await b.client.post(`/repos/${name}/commits`, commitBody('main', { after: 'load' }))).status, 201);
  }
  t.deepEqual((await b.client.get('/repos')).body.repositories.map((x: { name: string }) => x.name), ['alpha', 'beta', 'gamma']);
  t.is(sample(await (await fetch(`${b.root}/metrics`)).text(), 'govc_repositories_damaged'), 1);
  const line = b.output().split('\n').find((l) => l.includes('"repository quarantined"'));
  t.truthy(line, 'a log line says which repository is quarantined');
  t.like(JSON.parse(line!), { level: 'error', repo: 'beta' });
  t.regex(JSON.parse(line!).damage, reason);
}

test('one flipped byte in the middle of one journal quarantines that repository only; the agent starts', async (t) => {
  const data = tempDir();
  const heads = await threeRepos(data);
  const journal = join(data, 'repos', 'beta', 'journal');
  const offsets = recordOffsets(journal);
  const damaged = readFileSync(journal);
  damaged[offsets[2] + 40] ^= 0x01;
  writeFileSync(journal, damaged);
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    await expectQuarantinedAlone(t, b, heads, new RegExp(`journal is corrupt: record at byte ${offsets[2]}: checksum mismatch`));
    t.deepEqual(readFileSync(journal), damaged, 'a damaged journal is left as it is, never cut');
    // An admin can drop it and start over.
    t.is((await b.client.delete('/repos/beta')).status, 204);
    t.is((await b.client.post('/repos', { name: 'beta' })).status, 201);
    t.is((await b.client.post('/repos/beta/commits', commitBody('main', { f: 'new' }))).status, 201);
  } finally {
    await b.stop();
  }
});

test('a flipped byte in the last complete record is corruption too, not a torn tail', async (t) => {
  const data = tempDir();
  const heads = await threeRepos(data);
  const journal = join(data, 'repos', 'beta', 'journal');
  const offsets = recordOffsets(journal);
  const damaged = readFileSync(journal);
  damaged[damaged.length - 3] ^= 0x20;
  writeFileSync(journal, damaged);
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    await expectQuarantinedAlone(t, b, heads, new RegExp(`record at byte ${offsets[offsets.length - 1]}: checksum mismatch`));
    t.deepEqual(readFileSync(journal), damaged, 'the last record was not cut');
  } finally {
    await b.stop();
  }
});

test('a meta.json that does not parse quarantines its repository', async (t) => {
  const data = tempDir();
  const heads = await threeRepos(data);
  writeFileSync(join(data, 'repos', 'beta', 'meta.json'), '{"name":"beta","descr');
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    await expectQuarantinedAlone(t, b, heads, /meta\.json is unreadable/);
  } finally {
    await b.stop();
  }
});

test('a repository folder whose files are not what they should be (journal.new a directory) quarantines it alone', async (t) => {
  const data = tempDir();
  const heads = await threeRepos(data);
  mkdirSync(join(data, 'repos', 'beta', 'journal.new', 'x'), { recursive: true });
  const b = await spawnAgent({ GOVC_DATA_DIR: data });
  try {
    await expectQuarantinedAlone(t, b, heads, /its folder could not be read: .*journal\.new/);
  } finally {
    await b.stop();
  }
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
  await t.throwsAsync(spawnAgent({ GOVC_FSYNC: 'sometimes' }), { message: /GOVC_FSYNC must be batch or off/ });
});
