// Flow control on replication streams: a frozen replica makes its stream push back; the primary then stops queuing for
// it (bounded memory: the stream's buffer plus the shared change window) and, once the replica resumes, catches it up
// from the window or, when the window no longer reaches back, with a snapshot.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { commitBody } from './helpers/agent.js';
import { assignAll, converged, metrics, sample, startCluster, stopAll, until } from './helpers/replication-cluster.js';

const WINDOW = 1024 * 1024;

test.serial('a SIGSTOPped replica under sustained writes: bounded queue on the primary, caught up after SIGCONT', async (t) => {
  const nodes = await startCluster(2, { GOVC_REPLICATION_WINDOW_BYTES: String(WINDOW), GOVC_ANTI_ENTROPY_MS: '0' });
  const [p, r] = nodes;
  try {
    await assignAll(nodes, 'bp', p, 1, WriteConcern.WRITE_CONCERN_ASYNC);
    await until('replica in sync', async () => (await p.admin.state('bp')).members.every((m) => m.inSync));
    const snapshotsBefore = sample(await metrics(p), 'govc_replication_snapshots_sent_total');
    r.proc.child.kill('SIGSTOP');
    const WRITES = 80;
    for (let i = 0; i < WRITES; i++) {
      const body = commitBody('main', { [`blob${i % 5}.bin`]: randomBytes(48 * 1024).toString('base64') }, { message: `w${i}` });
      const w = await p.proc.client.request('POST', '/repos/bp/commits', body);
      t.is(w.status, 201, JSON.stringify(w.body));
    }
    // ~5 MB written: far more than the replica's flow-control window takes.
    const frozen = await p.admin.state('bp');
    const m = frozen.members[0];
    t.true(m.stalled, `stream to the frozen replica is paused: ${JSON.stringify(m)}`);
    t.true(m.bufferedMessages <= 32, `queue bounded: ${m.bufferedMessages} messages`);
    t.true(frozen.appliedSeq - m.sentSeq >= WRITES / 2, `nothing more handed to the stream: sent ${m.sentSeq} of ${frozen.appliedSeq}`);
    const pm = await metrics(p);
    t.is(sample(pm, 'govc_replication_stalled_streams'), 1);
    t.true(sample(pm, 'govc_replication_lag_seq{role="primary"}') >= WRITES / 2);
    t.true(sample(pm, 'govc_replication_window_bytes') <= WINDOW + 100 * 1024, 'the window stays within its budget');

    r.proc.child.kill('SIGCONT');
    const done = await converged(nodes, 'bp', 15000);
    t.is(done.appliedSeq, frozen.appliedSeq);
    const after = await p.admin.state('bp');
    t.false(after.members[0].stalled);
    t.true(sample(await metrics(p), 'govc_replication_snapshots_sent_total') > snapshotsBefore, 'fell out of the window: snapshot');
    t.is(sample(await metrics(r), 'govc_replication_lag_seq{role="replica"}'), 0);
  } finally {
    r.proc.child.kill('SIGCONT');
    await stopAll(nodes);
  }
});
