// A damaged copy in a replica set, with real agent processes: a replica whose journal was corrupted while it was stopped
// comes back quarantined and re-seeds itself from its primary's snapshot (fresh journal renamed over the old one, the
// damaged file kept), ending with the primary's checksum; a damaged primary reports itself damaged, refuses writes and
// never hands its empty copy to a replica, until the operator fails it over and it re-seeds as a replica.
import test from 'ava';
import { closeSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentStats, Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { fileSource, journalEntries } from '../src/persistence/record-reader.js';
import { Node, assignAll, commit, converged, startCluster, startNode, stopAll, until } from './helpers/replication-cluster.js';

/** Flips one byte inside the payload of the journal's middle record. */
function corruptJournal(node: Node, repo: string): void {
  const path = join(node.dataDir, 'repos', repo, 'journal');
  const fd = openSync(path, 'r');
  const offsets = [...journalEntries(fileSource(fd))].filter((e) => e.kind === 'record').map((e) => e.offset);
  closeSync(fd);
  const buf = readFileSync(path);
  buf[offsets[Math.floor(offsets.length / 2)] + 30] ^= 0x04;
  writeFileSync(path, buf);
}

const stats = (n: Node) => n.admin.call<object, AgentStats>('getStats', {});

test.serial('a replica with a damaged copy re-seeds itself from its primary and ends with the primary\'s checksum', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1] = nodes;
    await assignAll(nodes, 'rd', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    for (let i = 0; i < 8; i++) t.is((await commit(p, 'rd', i)).status, 201);
    const good = await converged(nodes, 'rd');
    await r1.proc.stop();
    corruptJournal(r1, 'rd');
    nodes[1] = await startNode('n1', {}, r1);
    const healed = await until('the replica re-seeded', async () => {
      const s = await nodes[1].admin.state('rd');
      return !s.damaged && s.inSync && s.checksum === good.checksum ? s : undefined;
    });
    t.is(healed.appliedSeq, good.appliedSeq);
    t.regex(nodes[1].proc.output(), /"message":"repository quarantined".*"repo":"rd"|"repo":"rd".*"message":"repository quarantined"/);
    // The damaged journal is kept for forensics; the fresh one replaced it.
    // The fresh journal is renamed over the old one once the snapshot is durable, a moment after it is applied.
    const files = await until('the fresh journal in place', async () => {
      const f = readdirSync(join(r1.dataDir, 'repos', 'rd'));
      return f.includes('journal.new') ? undefined : f;
    });
    t.true(files.some((f) => f.startsWith('journal.damaged-')), files.join(', '));
    t.true(files.includes('journal'));
    t.deepEqual((await stats(nodes[1])).damagedRepos, []);
    // It takes part in the write concern again, and its fresh journal loads cleanly.
    for (let i = 8; i < 12; i++) t.is((await commit(p, 'rd', i)).status, 201);
    const after = await converged(nodes, 'rd');
    await nodes[1].proc.stop();
    nodes[1] = await startNode('n1', {}, r1);
    const reloaded = await nodes[1].admin.state('rd');
    t.false(reloaded.damaged, reloaded.damage);
    t.is(reloaded.checksum, after.checksum);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('a damaged primary reports itself damaged, refuses writes and never seeds a replica; failed over, it re-seeds', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1, r2] = nodes;
    await assignAll(nodes, 'pd', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    for (let i = 0; i < 8; i++) t.is((await commit(p, 'pd', i)).status, 201);
    const good = await converged(nodes, 'pd');
    await p.proc.stop();
    corruptJournal(p, 'pd');
    nodes[0] = await startNode('n0', {}, p);
    const damaged = await nodes[0].admin.state('pd');
    t.true(damaged.damaged);
    t.regex(damaged.damage, /journal is corrupt: record at byte \d+: checksum mismatch/);
    t.is(damaged.appliedSeq, 0);
    t.false(damaged.inSync);
    t.deepEqual((await stats(nodes[0])).damagedRepos, ['pd']);
    const read = await nodes[0].proc.client.get('/repos/pd');
    t.is(read.status, 503);
    t.is(read.body.error.code, 'repository_damaged');
    // Resumed fenced (it waits for the operator) and knowing no other primary: a write hears why, not "not primary".
    const fencedWrite = await commit(nodes[0], 'pd', 99);
    t.is(fencedWrite.status, 503);
    t.is(fencedWrite.body.error.code, 'repository_damaged');

    // Assigned primary again (an operator that did not look): it still refuses writes, and its replicas, which
    // subscribe to it, keep their copies instead of receiving its empty one.
    await assignAll(nodes, 'pd', nodes[0], 2, WriteConcern.WRITE_CONCERN_QUORUM);
    const w = await commit(nodes[0], 'pd', 100);
    t.is(w.status, 503);
    t.is(w.body.error.code, 'repository_damaged');
    await new Promise((r) => setTimeout(r, 1500));
    for (const r of [r1, r2]) {
      const s = await r.admin.state('pd');
      t.is(s.checksum, good.checksum);
      t.is(s.appliedSeq, good.appliedSeq);
    }

    // Failover, as the operator does it: a new epoch with a healthy replica as primary; the old one follows and re-seeds.
    await assignAll(nodes, 'pd', r1, 3, WriteConcern.WRITE_CONCERN_QUORUM);
    t.is((await commit(r1, 'pd', 101)).status, 201);
    const healed = await converged(nodes, 'pd');
    const old = await nodes[0].admin.state('pd');
    t.false(old.damaged);
    t.is(old.role, Role.ROLE_REPLICA);
    t.is(old.checksum, healed.checksum);
    t.true(healed.appliedSeq > good.appliedSeq);
  } finally {
    await stopAll(nodes);
  }
});
