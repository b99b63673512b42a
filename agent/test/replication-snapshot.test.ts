// Snapshots: the record a primary sends a replica that is empty, too far behind or diverged, and when such a replica
// may call itself in sync. A copy that diverged (a deposed primary holding writes it never got acknowledged) can be
// at a seq as high as the new primary's; failover promotes in-sync replicas, so it must not count as in sync before
// the snapshot replaced its history. Real agent processes for the stream; the codec on real repositories.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { createCommit } from '../src/commands/commit.js';
import { repoChecksum } from '../src/replication/checksum.js';
import { FRAME_BYTES, snapshotChange, snapshotFrames } from '../src/replication/snapshot.js';
import { Repository } from '../src/store/repository.js';
import { Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { assignAll, commit, startCluster, stopAll } from './helpers/replication-cluster.js';
import { commitBody } from './helpers/agent.js';

const who = { name: 'T', email: 't@example.com', timestamp: 1_700_000_000, timezone: '+0000' };

function sampleRepo(): Repository {
  const repo = new Repository({ name: 'r', description: 'd', defaultBranch: 'main', createdAt: '2026-01-01T00:00:00.000Z' });
  for (let i = 0; i < 40; i++) {
    const files = [{ path: `f/${i % 5}.txt`, content: Buffer.from(`line ${i}\n`), mode: '100644' as const }];
    // One blob larger than a frame (incompressible): the record and the pack span frames.
    if (i === 7) files.push({ path: 'big.bin', content: randomBytes(FRAME_BYTES + 12_345), mode: '100644' as const });
    createCommit(repo, { branch: i % 2 ? 'main' : 'dev', message: `c${i}`, author: who, committer: who, files, deletes: [] });
  }
  repo.epoch = 3;
  return repo;
}

test('a snapshot rebuilds the same repository: objects, refs, metadata, seq and the epoch of its last change', (t) => {
  const repo = sampleRepo();
  const frames = snapshotFrames(repo, 9);
  t.true(frames.length >= 2);
  t.true(frames.every((f) => f.epoch === 9 && f.seq === repo.seq && f.pack.length === 0));
  t.deepEqual(frames.map((f) => f.last), [...frames.slice(1).map(() => false), true]);
  const copy = new Repository({ name: 'r', description: '', defaultBranch: 'x', createdAt: '' });
  copy.applyRecorded(snapshotChange(frames));
  t.is(copy.seq, repo.seq);
  t.is(copy.lastEpoch, repo.lastEpoch);
  t.is(copy.objects.size, repo.objects.size);
  t.deepEqual(copy.listRefs(''), repo.listRefs(''));
  t.is(copy.meta.defaultBranch, 'main');
  t.is(copy.meta.description, 'd');
  t.is(repoChecksum(copy), repoChecksum(repo));
});

test('for a replica from before records (no snapshot_records in its Subscribe) the snapshot is a git pack, read the same', (t) => {
  const repo = sampleRepo();
  const frames = snapshotFrames(repo, 9, 'pack');
  t.true(frames.length >= 2);
  t.true(frames.every((f) => f.change.length === 0 && f.pack.length > 0));
  t.is(Buffer.concat(frames.map((f) => f.pack)).subarray(0, 4).toString(), 'PACK');
  const copy = new Repository({ name: 'r', description: '', defaultBranch: 'x', createdAt: '' });
  copy.applyRecorded(snapshotChange(frames));
  t.is(repoChecksum(copy), repoChecksum(repo));
  t.is(copy.seq, repo.seq);
  t.is(copy.meta.description, 'd');
});

test('a record whose seq disagrees with its frames is refused', (t) => {
  const frames = snapshotFrames(sampleRepo(), 9);
  frames[frames.length - 1] = { ...frames[frames.length - 1], seq: 1 };
  t.throws(() => snapshotChange(frames), { message: /seq/ });
});

test('a diverged replica ahead of the new primary is not in sync until the primary\'s snapshot replaced its history', async (t) => {
  const nodes = await startCluster(3);
  const [a, b, c] = nodes;
  try {
    await assignAll(nodes, 'r', a, 1);
    for (let i = 0; i < 3; i++) t.is((await commit(a, 'r', i)).status, 201);
    // Epoch 2 makes b primary (async: it acknowledges alone) and nobody else hears of it: b's history diverges.
    await b.admin.assign({ repo: 'r', epoch: 2, role: Role.ROLE_PRIMARY, primaryAddr: b.grpc, members: nodes.map((n) => n.grpc), writeConcern: WriteConcern.WRITE_CONCERN_ASYNC });
    for (let i = 0; i < 40; i++) t.is((await commit(b, 'r', 100 + i)).status, 201);
    // Epoch 3: a again, with c; its writes are big, so the snapshot b will need takes a while to stream.
    await assignAll(nodes, 'r', a, 3, WriteConcern.WRITE_CONCERN_QUORUM, [a, c]);
    const big = 'x'.repeat(1_500_000);
    for (let i = 0; i < 20; i++) {
      const res = await a.proc.client.request('POST', '/repos/r/commits', commitBody('main', { [`big/${i}.txt`]: `${i}${big}` }));
      t.is(res.status, 201);
    }
    const primary = await a.admin.state('r');
    const diverged = await b.admin.state('r');
    t.true(diverged.appliedSeq > primary.appliedSeq, 'b is ahead of the new primary, on another history');

    await assignAll(nodes, 'r', a, 3, WriteConcern.WRITE_CONCERN_QUORUM, [b]);
    const wrong: string[] = [];
    for (;;) {
      const s = await b.admin.state('r');
      if (s.inSync && s.checksum !== primary.checksum) wrong.push(`seq ${s.appliedSeq} checksum ${s.checksum.slice(0, 8)}`);
      if (s.inSync && s.checksum === primary.checksum) break;
      await new Promise((r) => setTimeout(r, 2));
    }
    t.deepEqual(wrong, [], 'in sync only with the primary\'s history');
    t.is((await b.admin.state('r')).appliedSeq, primary.appliedSeq);
  } finally {
    await stopAll(nodes);
  }
});
