// A journal over 2 GiB loads (reading a file that size in one Buffer fails with ERR_FS_FILE_TOO_LARGE and stopped the
// whole agent): ~2.15 GiB written once, straight with the codec, as 22 records of one 100 MiB blob each, then loaded by
// a real agent process, which keeps serving and writing on top. The data is deleted afterwards.
import test from 'ava';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hashObject } from '../src/git/objects.js';
import { encodeChange } from '../src/persistence/change-codec.js';
import { RECORD_HEADER, sealRecord } from '../src/persistence/record-reader.js';
import { commitBody, spawnAgent, tempDir } from './helpers/agent.js';

const RECORDS = 22;
const BLOB = 100 * 1024 * 1024;

test('a journal over 2 GiB loads and the repository serves and takes writes', async (t) => {
  t.timeout(300_000);
  const data = tempDir('govc-large-');
  try {
    const dir = join(data, 'repos', 'big');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'meta.json'), JSON.stringify({ name: 'big', description: 'large', defaultBranch: 'main', createdAt: new Date().toISOString() }));
    const fd = openSync(join(dir, 'journal'), 'w');
    const ids: string[] = [];
    try {
      const blob = Buffer.alloc(BLOB);
      for (let seq = 1; seq <= RECORDS; seq++) {
        blob.fill(seq);
        const id = hashObject('blob', blob);
        ids.push(id);
        const record = sealRecord(encodeChange({ seq, epoch: 0, objects: [{ id, type: 'blob', data: blob }], refs: [{ name: `refs/tags/b${seq}`, old: null, new: id }] }, RECORD_HEADER));
        for (let off = 0; off < record.length; ) off += writeSync(fd, record, off);
      }
    } finally {
      closeSync(fd);
    }
    const size = statSync(join(dir, 'journal')).size;
    t.true(size > 2 * 1024 ** 3, `journal is ${size} bytes`);

    const a = await spawnAgent({ GOVC_DATA_DIR: data }, { readyTimeoutMs: 120_000 });
    try {
      const repo = await a.client.get('/repos/big');
      t.is(repo.status, 200);
      t.like(repo.body, { seq: RECORDS, objects: RECORDS, description: 'large' });
      const tags = (await a.client.get('/repos/big/tags')).body.tags as { name: string; sha: string }[];
      t.is(tags.length, RECORDS);
      t.is(tags.find((x) => x.name === 'b22')?.sha, ids[RECORDS - 1]);
      const w = await a.client.post('/repos/big/commits', commitBody('main', { 'after.txt': 'written after loading 2 GiB' }));
      t.is(w.status, 201);
      t.is(w.headers.get('x-govc-seq'), String(RECORDS + 1));
      t.is((await a.client.get('/repos/big/files/after.txt')).raw.toString(), 'written after loading 2 GiB');
    } finally {
      await a.stop();
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
