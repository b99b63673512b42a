// Failover: the in-sync reachable replica with the highest applied seq, epoch + 1; degraded with a reason otherwise.
import test from 'ava';
import { AgentHealth, chooseNewPrimary, detectFailedAgents, FailoverInput, ReplicaReport, statusView } from '../src/failover.js';

const status = { primary: 'a', replicas: ['b', 'c', 'd'], epoch: 7, inSyncReplicas: ['b', 'c', 'd'] };

function report(agent: string, appliedSeq: number, extra: Partial<ReplicaReport> = {}): ReplicaReport {
  return { agent, appliedSeq, epoch: 7, inSync: true, reachable: true, ...extra };
}

function promote(input: FailoverInput) {
  const d = chooseNewPrimary(input);
  if (d.decision !== 'promote') throw new Error(`expected a promotion, got ${d.reason}: ${d.message}`);
  return d;
}

test('the in-sync replica with the highest applied seq wins; the epoch grows by exactly one', (t) => {
  const d = promote({ repo: 'r', status, reports: [report('b', 40), report('c', 42), report('d', 41)] });
  t.is(d.newPrimary, 'c');
  t.is(d.newEpoch, 8);
  t.is(d.appliedSeq, 42);
  t.deepEqual(d.replicas, ['b', 'd']);
});

test('ties go to the lowest name, whatever the report order', (t) => {
  for (const reports of [
    [report('d', 42), report('c', 42), report('b', 10)],
    [report('c', 42), report('b', 10), report('d', 42)],
  ]) {
    t.is(promote({ repo: 'r', status, reports }).newPrimary, 'c');
  }
});

test('unreachable replicas are skipped, however far ahead they claim to be', (t) => {
  const d = promote({
    repo: 'r',
    status,
    reports: [report('b', 50, { reachable: false }), report('c', 42), report('d', 41)],
  });
  t.is(d.newPrimary, 'c');
  t.deepEqual(d.rejected, [{ agent: 'b', why: 'unreachable' }, { agent: 'd', why: 'behind' }]);
});

test('in sync: by the replica\'s own word (caught up in this epoch) and in the recorded set when there is one', (t) => {
  const d = chooseNewPrimary({
    repo: 'r',
    status,
    reports: [report('b', 40, { inSync: false }), report('c', 42, { inSync: false }), report('d', 41, { inSync: false })],
  });
  t.is(d.decision, 'degraded');
  if (d.decision === 'degraded') {
    t.is(d.reason, 'NoInSyncReplica');
    t.true(d.message.includes('in sync'));
    t.is(d.rejected.length, 3);
  }
  // In sync by its own word but not in the recorded in-sync set: still not promotable.
  const notRecorded = chooseNewPrimary({ repo: 'r', status: { ...status, inSyncReplicas: ['b'] }, reports: [report('c', 42)] });
  t.is(notRecorded.decision === 'degraded' && notRecorded.reason, 'NoInSyncReplica');
  // In a record left from an earlier replica set, but a new copy that never caught up: never promoted.
  const fresh = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 3, { inSync: false }), report('c', 2, { inSync: false })] });
  t.is(fresh.decision === 'degraded' && fresh.reason, 'NoInSyncReplica');
});

test('all replicas behind the last acknowledged seq: degraded, never promote stale data', (t) => {
  const d = chooseNewPrimary({
    repo: 'r',
    status: { ...status, ackedSeq: 45 },
    reports: [report('b', 40), report('c', 44), report('d', 43)],
  });
  t.is(d.decision, 'degraded');
  if (d.decision === 'degraded') {
    t.is(d.reason, 'ReplicasBehindAcknowledged');
    t.true(d.message.includes('45'));
  }
  // One replica has caught up to the acknowledged seq: it can be promoted.
  t.is(promote({ repo: 'r', status: { ...status, ackedSeq: 45 }, reports: [report('b', 45), report('c', 44)] }).newPrimary, 'b');
});

test('an in-sync replica behind an out-of-sync one that holds more is not promoted', (t) => {
  const d = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 30), report('c', 42, { inSync: false })] });
  t.is(d.decision === 'degraded' && d.reason, 'ReplicasBehindAcknowledged');
});

test('a replica of another epoch lineage is rejected; one ahead of the status blocks the decision', (t) => {
  const d = promote({ repo: 'r', status, reports: [report('b', 99, { epoch: 6 }), report('c', 42)] });
  t.is(d.newPrimary, 'c');
  t.deepEqual(d.rejected, [{ agent: 'b', why: 'other-epoch' }, { agent: 'd', why: 'no-report' }]);
  const only = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 99, { epoch: 6 })] });
  t.is(only.decision === 'degraded' && only.reason, 'NoInSyncReplica');
  const ahead = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 1, { epoch: 8 }), report('c', 42)] });
  t.is(ahead.decision === 'degraded' && ahead.reason, 'StatusBehindReplicas');
});

test('no replicas, none reachable, or only excluded ones: degraded with the matching reason', (t) => {
  const none = chooseNewPrimary({ repo: 'r', status: { ...status, replicas: ['a'] }, reports: [] });
  t.is(none.decision === 'degraded' && none.reason, 'NoReplicas');
  const silent = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 1, { reachable: false })] });
  t.is(silent.decision === 'degraded' && silent.reason, 'NoReachableReplica');
  const excluded = chooseNewPrimary({ repo: 'r', status, reports: [report('b', 42)], excluded: ['b'] });
  t.is(excluded.decision === 'degraded' && excluded.reason, 'NoReachableReplica');
});

test('quorum writes: promote only when the replicas heard from must include a holder of every acknowledged write', (t) => {
  // 4 members, quorum 3: an acknowledged write is on the primary and at least 2 of the 3 replicas.
  const quorum = { ...status, requiredAcks: 3 };
  const one = chooseNewPrimary({ repo: 'r', status: quorum, reports: [report('b', 42)] });
  t.is(one.decision === 'degraded' && one.reason, 'QuorumUnreachable');
  t.is(promote({ repo: 'r', status: quorum, reports: [report('b', 42), report('d', 41)] }).newPrimary, 'b');
  // Async writes can never be covered; promotion goes ahead with the best copy heard.
  t.is(promote({ repo: 'r', status: { ...status, requiredAcks: 1 }, reports: [report('d', 3)] }).newPrimary, 'd');
});

test('statusView: the acknowledgements each write concern required, from the recorded members', (t) => {
  const s = { primary: 'a', replicas: ['b', 'c'], epoch: 4, inSyncReplicas: ['b', 'c'] };
  t.is(statusView(s, 'quorum').requiredAcks, 2);
  t.is(statusView(s, 'all').requiredAcks, 3);
  t.is(statusView(s, 'async').requiredAcks, 1);
  t.is(statusView({ ...s, members: [{}, {}, {}, {}, {}] }, 'quorum').requiredAcks, 3);
  t.deepEqual(statusView({}, 'quorum'), { primary: null, replicas: [], epoch: 0, requiredAcks: 1 });
  // Quorum of 3: a write acknowledged by the primary and one replica may be on either replica; both must answer.
  const view = statusView(s, 'quorum');
  const one = chooseNewPrimary({ repo: 'r', status: view, reports: [{ agent: 'b', appliedSeq: 9, epoch: 4, inSync: true, reachable: true }] });
  t.is(one.decision === 'degraded' && one.reason, 'QuorumUnreachable');
  const both = chooseNewPrimary({
    repo: 'r', status: view,
    reports: [{ agent: 'b', appliedSeq: 9, epoch: 4, inSync: true, reachable: true }, { agent: 'c', appliedSeq: 10, epoch: 4, inSync: true, reachable: true }],
  });
  t.is(both.decision === 'promote' && both.newPrimary, 'c');
});

// Epoch 8 was recorded (replica c replaced by x) but the primary died before any replica got it: they still hold 7.
const cut = {
  primary: 'a', replicas: ['b', 'x'], epoch: 8, requiredAcks: 2,
  previous: { primary: 'a', replicas: ['b', 'c'], epoch: 7, requiredAcks: 2 },
};

test('an epoch that never took effect: the choice is made among the previous epoch\'s replicas, at recorded + 1', (t) => {
  const d = promote({ repo: 'r', status: cut, reports: [report('b', 40), report('c', 41), report('x', 10, { epoch: 5, inSync: false })] });
  t.is(d.newPrimary, 'c');
  t.is(d.newEpoch, 9);
  t.is(d.decidedIn, 7);
  // The previous epoch's own rules hold: both of its replicas must answer (quorum of 3), the floor too.
  const one = chooseNewPrimary({ repo: 'r', status: cut, reports: [report('b', 40), report('c', 41, { reachable: false }), report('x', 10, { epoch: 5 })] });
  t.is(one.decision, 'degraded');
  const behind = promote({ repo: 'r', status: cut, reports: [report('b', 40), report('c', 39), report('x', 10, { epoch: 5 })] });
  t.is(behind.newPrimary, 'b');
  // A normal failover in the recorded epoch is decided there.
  t.is(promote({ repo: 'r', status: cut, reports: [report('b', 40, { epoch: 8 }), report('x', 12, { epoch: 8 })] }).decidedIn, 8);
});

test('the previous epoch is used only when the reports prove the recorded one acknowledged nothing', (t) => {
  const blocked = (reports: ReplicaReport[], status: FailoverInput['status'] = cut) => {
    const d = chooseNewPrimary({ repo: 'r', status, reports });
    return d.decision === 'degraded' ? d.reason : `promoted ${d.newPrimary}`;
  };
  // x holds epoch 8 (even not in sync): it and the primary may have acknowledged writes c never saw.
  t.is(blocked([report('b', 40), report('c', 41), report('x', 10, { epoch: 8, inSync: false })]), 'NoInSyncReplica');
  // x caught up in epoch 8: any write of epoch 8 was acknowledged with x (b still holds 7, so it never streamed in 8).
  t.is(blocked([report('b', 40), report('c', 41), report('x', 45, { epoch: 8 })]), 'promoted x');
  t.is(blocked([report('b', 40, { reachable: false }), report('x', 45, { epoch: 8 })]), 'QuorumUnreachable');
  // x silent, or without any copy (it may have lost one): nothing proven.
  t.is(blocked([report('b', 40), report('c', 41), report('x', 10, { epoch: 5, reachable: false })]), 'NoInSyncReplica');
  t.is(blocked([report('b', 40), report('c', 41), report('x', 0, { epoch: 0, inSync: false })]), 'NoInSyncReplica');
  t.is(blocked([report('b', 40), report('c', 41)]), 'NoInSyncReplica');
  // Async writes: the primary alone acknowledges; what no replica received is the async window. Every replica heard
  // holds an older epoch: decided on the previous one. One heard in the recorded epoch (even behind): not.
  const async = { ...cut, requiredAcks: 1, previous: { ...cut.previous, requiredAcks: 1 } };
  t.is(blocked([report('b', 40), report('c', 41), report('x', 10, { epoch: 5 })], async), 'promoted c');
  t.is(blocked([report('b', 40), report('c', 41), report('x', 10, { epoch: 5, reachable: false })], async), 'promoted c');
  t.is(blocked([report('b', 40), report('c', 41), report('x', 10, { epoch: 8, inSync: false })], async), 'NoInSyncReplica');
  t.is(blocked([report('b', 40, { reachable: false }), report('c', 41), report('x', 0, { epoch: 0, inSync: false })], async), 'NoInSyncReplica');
  // A replica ahead of the record still means the record is stale: re-read, never decide on an older epoch.
  t.is(blocked([report('b', 40, { epoch: 9 }), report('c', 41), report('x', 10, { epoch: 5 })]), 'StatusBehindReplicas');
  // 5 members, quorum 3: a write of epoch 8 needs 2 replicas holding it; one that does is not enough to block.
  const five = {
    primary: 'a', replicas: ['b', 'c', 'd', 'e'], epoch: 8, requiredAcks: 3,
    previous: { primary: 'a', replicas: ['b', 'c', 'd', 'f'], epoch: 7, requiredAcks: 3 },
  };
  const others = [report('c', 40), report('d', 41), report('f', 39)];
  t.is(blocked([report('b', 50, { epoch: 8, inSync: false }), ...others, report('e', 3, { epoch: 6 })], five), 'promoted d');
  t.is(blocked([report('b', 50, { epoch: 8, inSync: false }), ...others, report('e', 3, { epoch: 8, inSync: false })], five), 'NoInSyncReplica');
});

test('statusView: the previous epoch with its own ack count', (t) => {
  const v = statusView({
    primary: 'a', replicas: ['b', 'x'], epoch: 8,
    previousEpoch: { epoch: 7, primary: 'a', replicas: ['b', 'c', 'd', 'e'], writeConcern: 'quorum' },
  }, 'all');
  t.deepEqual(v.previous, { primary: 'a', replicas: ['b', 'c', 'd', 'e'], epoch: 7, requiredAcks: 3 });
  t.is(v.requiredAcks, 3);
  t.is(statusView({ primary: 'a', epoch: 1, previousEpoch: { epoch: 0 } }, 'quorum').previous, undefined);
});

test('epoch is always the recorded epoch + 1', (t) => {
  for (const epoch of [0, 1, 41, 1_000_000]) {
    const d = promote({ repo: 'r', status: { ...status, epoch }, reports: [report('b', 5, { epoch })] });
    t.is(d.newEpoch, epoch + 1);
  }
});

const policy = { failureThreshold: 3, intervalMs: 1000 };
const running = { phase: 'Running' as const, ready: true };
const probes = (...oks: boolean[]) => oks.map((ok, i) => ({ at: 10_000 + i * 1000, ok }));

test('detectFailedAgents: consecutive failures reach the threshold; fewer, or broken by a success, do not', (t) => {
  const now = 14_500;
  const agents: AgentHealth[] = [
    { name: 'ok', pod: running, probes: probes(true, true, true, true, true) },
    { name: 'three', pod: running, probes: probes(true, true, false, false, false) },
    { name: 'two', pod: running, probes: probes(true, true, true, false, false) },
    { name: 'broken', pod: running, probes: probes(false, false, true, false, false) },
  ];
  // Input order must not matter.
  const v = detectFailedAgents([...agents].reverse(), now, policy);
  t.deepEqual(v.failed.map((f) => [f.agent, f.reason]), [['three', 'HealthCheckFailures']]);
  t.deepEqual(v.suspect, ['broken', 'two']);
  t.deepEqual(v.healthy, ['ok']);
});

test('detectFailedAgents: silence for threshold × interval counts as failure; no history yet is unknown', (t) => {
  const agents: AgentHealth[] = [
    { name: 'quiet', pod: running, probes: probes(true) },
    { name: 'new', pod: running, probes: [] },
  ];
  t.deepEqual(detectFailedAgents(agents, 12_999, policy).failed, []);
  const later = detectFailedAgents(agents, 13_000, policy);
  t.deepEqual(later.failed.map((f) => f.reason), ['HealthCheckStale']);
  t.deepEqual(later.unknown, ['new']);
  // Probes stamped after `now` (clock skew between recorder and caller) are ignored, not counted.
  t.deepEqual(detectFailedAgents([{ name: 'x', pod: running, probes: [{ at: 20_000, ok: false }] }], 10_000, policy).unknown, ['x']);
});

test('detectFailedAgents: pod gone, terminated or deleting fails at once; not ready alone is only suspect', (t) => {
  const v = detectFailedAgents(
    [
      { name: 'gone', probes: probes(true) },
      { name: 'done', pod: { phase: 'Failed', ready: false }, probes: probes(true) },
      { name: 'deleting', pod: { ...running, deleting: true }, probes: probes(true) },
      { name: 'unready', pod: { phase: 'Running', ready: false }, probes: probes(true) },
    ],
    10_500,
    policy,
  );
  t.deepEqual(
    v.failed.map((f) => [f.agent, f.reason]),
    [
      ['deleting', 'PodDeleting'],
      ['done', 'PodTerminated'],
      ['gone', 'PodMissing'],
    ],
  );
  t.deepEqual(v.suspect, ['unready']);
});
