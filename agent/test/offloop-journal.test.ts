// The event loop stays free with a journal on disk (GOVC_DATA_DIR on the real disk, GOVC_FSYNC=batch): a child agent
// answers /healthz (probed from a process of its own, beside an idle control agent) within 100 ms while express.bundle
// (157 MiB inflated, applied in chunks, each written and checksummed off the loop) is imported and a 90 MiB file is
// committed at the same time, and while 300,000 small blobs — more than the old 200,000-object limit — are imported.
// Both land in the journal and load back after a restart.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { AUTHOR, spawnAgent, tempDir, type AgentProcess } from './helpers/agent.js';
import { EXPRESS_BUNDLE } from './helpers/corpus.js';
import { assertLoopFree, probeWhile } from './helpers/loop-probe.js';
import { smallBlobsBundle } from './helpers/small-blobs-repo.js';


/** A journaling child agent with its data on the disk, and an idle memory-only one beside it as the control. */
async function withJournal(env: Record<string, string>, fn: (a: AgentProcess, probe: { pid?: number; controlRoot: string }, data: string) => Promise<void>): Promise<void> {
  const data = tempDir('govc-offloop-journal-');
  const [a, control] = await Promise.all([spawnAgent({ GOVC_DATA_DIR: data, GOVC_FSYNC: 'batch', ...env }), spawnAgent({ GOVC_DATA_DIR: '' })]);
  try {
    await fn(a, { pid: a.child.pid, controlRoot: control.root }, data);
  } finally {
    await Promise.all([a.stop(), control.stop()]);
  }
}

test.serial('journal on disk: /healthz answers within 100 ms while express.bundle is imported and a 90 MiB file committed', async (t) => {
  const express = readFileSync(EXPRESS_BUNDLE);
  const file = Buffer.alloc(90 * 2 ** 20);
  for (let i = 0; i < file.length; i += 512) file.writeUInt32LE((i * 2654435761) >>> 0, i);
  // Serialised before the probes start: this process's own work is not the agent's.
  const commit = JSON.stringify({ branch: 'main', message: 'a 90 MiB file', author: AUTHOR, files: [{ path: 'big.bin', content: file.toString('base64'), encoding: 'base64' }] });
  await withJournal({ GOVC_BODY_LIMIT: '128MiB' }, async (a, probe, data) => {
    await a.client.post('/repos', { name: 'ex' });
    await a.client.post('/repos', { name: 'big' });
    const { report, result } = await probeWhile(a.root, () => Promise.all([
      a.client.post('/repos/ex/bundle', express),
      a.client.request('POST', '/repos/big/commits', commit, { 'content-type': 'application/json' }),
    ]), probe);
    t.is(result[0].status, 200, JSON.stringify(result[0].body));
    t.is(result[0].body.objects, 33522);
    t.is(result[1].status, 201, JSON.stringify(result[1].body));
    assertLoopFree(t, 'import and 90 MiB commit, journal on disk', report);
    await a.stop();
    const b = await spawnAgent({ GOVC_DATA_DIR: data });
    try {
      t.true((await b.client.get('/repos/big/files/big.bin')).raw.equals(file), 'the 90 MiB file loads back');
      t.is((await b.client.get('/repos/ex')).body.objects, 33522);
    } finally {
      await b.stop();
    }
  });
});

test.serial('journal on disk: 300,000 small blobs import (over the old 200,000 limit) with /healthz answering within 100 ms', async (t) => {
  const bundle = smallBlobsBundle(300, 1000);
  await withJournal({}, async (a, probe, data) => {
    await a.client.post('/repos', { name: 'many' });
    const { report, result } = await probeWhile(a.root, () => a.client.post('/repos/many/bundle', bundle), probe);
    t.is(result.status, 200, JSON.stringify(result.body));
    t.is(result.body.objects, 300_000 + 300 + 1 + 1);
    t.true(Number(result.headers.get('x-govc-seq')) >= 30, 'applied in chunks');
    assertLoopFree(t, '300k-object import, journal on disk', report);
    await a.stop();
    const b = await spawnAgent({ GOVC_DATA_DIR: data });
    try {
      t.is((await b.client.get('/repos/many')).body.objects, 300_302);
      t.is((await b.client.get('/repos/many/files/d299/f999')).raw.toString(), 'blob 299/999\n');
    } finally {
      await b.stop();
    }
  });
});
