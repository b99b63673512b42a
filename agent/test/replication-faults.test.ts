// Replication under faults: replicas killed under quorum writes, a new primary while the old one still runs (fencing),
// and anti-entropy repairing a replica that silently differs.
import test from 'ava';
import { appendFileSync, closeSync, openSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { encodeChange } from '../../agent/src/persistence/change-codec.js';
import { RECORD_HEADER, fileSource, journalEntries, sealRecord } from '../../agent/src/persistence/record-reader.js';
import { assignAll, commit, converged, startCluster, startNode, stopAll, until } from './helpers/replication-cluster.js';

test.serial('kill -9 of one replica under quorum writes: no errors; of two: clean 503s, nothing acknowledged lost', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1, r2] = nodes;
    await assignAll(nodes, 'q', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    await until('replicas connected', async () => (await p.admin.state('q')).members.every((m) => m.inSync));
    const acked: string[] = [];
    const failures: unknown[] = [];
    let i = 0;
    const write = async () => {
      const r = await commit(p, 'q', i++);
      if (r.status === 201) acked.push(r.body.sha);
      else failures.push({ status: r.status, body: r.body });
      return r;
    };
    for (let k = 0; k < 15; k++) await write();
    const killing = r1.proc.stop('SIGKILL');
    for (let k = 0; k < 15; k++) await write();
    await killing;
    t.true(failures.length <= 1, `at most the in-flight write fails: ${JSON.stringify(failures)}`);
    const before = failures.length;
    await r2.proc.stop('SIGKILL');
    for (let k = 0; k < 3; k++) {
      const r = await write();
      t.is(r.status, 503);
      t.is(r.body.error.code, 'write_concern_unmet');
      t.regex(r.body.error.message, /needs 2 of 3/);
    }
    t.is(failures.length, before + 3);
    // Bring both back: they catch up, and every acknowledged commit is on every member.
    nodes[1] = await startNode('n1', {}, r1);
    nodes[2] = await startNode('n2', {}, r2);
    await converged(nodes, 'q');
    for (const n of nodes) {
      for (const sha of acked) {
        const r = await n.proc.client.request('GET', `/repos/q/commits/${sha}`, undefined, { 'x-govc-seq': '1' });
        t.is(r.status, 200, `${sha} on ${n.name}`);
      }
    }
    t.is((await write()).status, 201, 'quorum writes resume');
  } finally {
    await stopAll(nodes);
  }
});

test.serial('fencing: a new primary at epoch+1 while the old one is frozen and resumed', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [a, b, c] = nodes;
    await assignAll(nodes, 'f', a, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    const acked: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await commit(a, 'f', i);
      t.is(r.status, 201);
      acked.push(r.body.sha);
    }
    await converged(nodes, 'f');
    a.proc.child.kill('SIGSTOP');
    await assignAll(nodes, 'f', b, 2, WriteConcern.WRITE_CONCERN_QUORUM, [b, c]);
    for (let i = 5; i < 10; i++) {
      const r = await commit(b, 'f', i);
      t.is(r.status, 201, JSON.stringify(r.body));
      acked.push(r.body.sha);
    }
    a.proc.child.kill('SIGCONT');
    // The old primary still believes it is primary of epoch 1: its writes must not be acknowledged.
    for (let i = 10; i < 14; i++) {
      const r = await commit(a, 'f', i);
      if (r.status === 201) {
        t.is(r.headers.get('x-govc-served-by'), b.grpc, 'acknowledged only when forwarded to the new primary');
        acked.push(r.body.sha);
      } else {
        t.is(r.status, 503);
        t.regex(r.body.error.code, /^(not_primary|write_concern_unmet)$/);
      }
    }
    const ca = await a.admin.state('f');
    t.true(ca.fenced && ca.epoch === 2, `old primary fenced: ${JSON.stringify({ fenced: ca.fenced, epoch: ca.epoch })}`);
    const cs = await c.admin.state('f');
    t.is(cs.lastEpoch, 2, 'the replica follows epoch 2 only');
    // The operator tells the old primary its new role: it drops its unacknowledged change and converges.
    await assignAll(nodes, 'f', b, 2, WriteConcern.WRITE_CONCERN_QUORUM, [a]);
    for (let i = 14; i < 17; i++) {
      const r = await commit(a, 'f', i);
      t.is(r.status, 201);
      t.is(r.headers.get('x-govc-served-by'), b.grpc);
      acked.push(r.body.sha);
    }
    const final = await converged(nodes, 'f');
    t.is(final.lastEpoch, 2);
    const log = await b.proc.client.get('/repos/f/commits?limit=100');
    const history = new Set(log.body.commits.map((x: { sha: string }) => x.sha));
    for (const sha of acked) t.true(history.has(sha), `acknowledged ${sha} is in the final history`);
    t.is(history.size, acked.length, 'and nothing else: no change of the old primary survived');
  } finally {
    for (const n of nodes) n.proc.child.kill('SIGCONT');
    await stopAll(nodes);
  }
});

test.serial('anti-entropy finds a replica that differs at the same seq and repairs it', async (t) => {
  const nodes = await startCluster(3);
  try {
    const [p, r1] = nodes;
    await assignAll(nodes, 'ae', p, 1, WriteConcern.WRITE_CONCERN_QUORUM);
    let sha = '';
    for (let i = 0; i < 5; i++) sha = (await commit(p, 'ae', i)).body.sha;
    const good = await converged(nodes, 'ae');
    // Corrupt r1 behind replication's back, as a bug might: its last change replaced by another at the same seq (a
    // well-formed journal, so it loads; damage the journal's checksums catch is quarantined instead, see
    // replication-damage.test.ts).
    await r1.proc.stop('SIGKILL');
    const journal = join(r1.dataDir, 'repos', 'ae', 'journal');
    const fd = openSync(journal, 'r');
    let lastAt = 0;
    for (const e of journalEntries(fileSource(fd))) if (e.kind === 'record') lastAt = e.offset;
    closeSync(fd);
    truncateSync(journal, lastAt);
    appendFileSync(journal, sealRecord(encodeChange({ seq: good.appliedSeq, epoch: 1, objects: [], refs: [{ name: 'refs/heads/rogue', old: null, new: sha }] }, RECORD_HEADER)));
    nodes[1] = await startNode('n1', {}, r1);
    const bad = await nodes[1].admin.state('ae');
    t.true(bad.refs.some((r) => r.name === 'refs/heads/rogue'));
    t.not(bad.checksum, good.checksum);
    const repaired = await converged(nodes, 'ae');
    t.is(repaired.checksum, good.checksum);
    t.false((await nodes[1].admin.state('ae')).refs.some((r) => r.name === 'refs/heads/rogue'));
    const metrics = await (await fetch(`${nodes[1].proc.root}/metrics`)).text();
    t.regex(metrics, /govc_replication_antientropy_mismatches_total\{repo="ae"\} [1-9]/);
  } finally {
    await stopAll(nodes);
  }
});
