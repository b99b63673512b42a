// What a failover keeps between attempts: the in-sync record survives a primary that stopped reporting (its loss
// blocked failovers until the old primary came back), blocked attempts retry quickly then back off, and a fenced
// replica's report is about the assignment it held, not the epoch the fence raised.
import test from 'ava';
import { Role, type RepoState } from '../src/agents/agent-admin.js';
import { reportOf } from '../src/controllers/repository-agents.js';
import { blockedRetryMs, chooseNewPrimary, keptInSync, statusView, trustedFailures } from '../src/failover.js';

test('keptInSync: a silent primary keeps the in-sync set of this epoch; a report or a new epoch replaces it', (t) => {
  const previous = { epoch: 5, inSyncReplicas: ['b', 'c'] };
  t.deepEqual(keptInSync(previous, 5, undefined), ['b', 'c'], 'no report: the last one stands');
  t.deepEqual(keptInSync(previous, 5, ['b']), ['b'], 'a report that a replica fell behind is recorded');
  t.deepEqual(keptInSync(previous, 5, []), [], 'so is one that all did');
  t.deepEqual(keptInSync(previous, 6, undefined), [], 'a new epoch starts with none in sync');
  t.deepEqual(keptInSync(undefined, 1, undefined), []);
  t.deepEqual(keptInSync({ epoch: 5 }, 5, undefined), []);
});

test('the failover after a blocked look still finds the replicas in sync (the block used to stick)', (t) => {
  // A first look at a dead primary is blocked (one replica's report lost); its status write must not empty the set.
  const before = { primary: 'a', replicas: ['b', 'c'], epoch: 9, inSyncReplicas: ['b', 'c'] };
  const blocked = chooseNewPrimary({
    repo: 'r', status: statusView(before, 'quorum'),
    reports: [{ agent: 'b', appliedSeq: 40, epoch: 9, inSync: true, reachable: true }, { agent: 'c', appliedSeq: 0, epoch: 0, inSync: false, reachable: false }],
  });
  t.is(blocked.decision === 'degraded' && blocked.reason, 'QuorumUnreachable');
  const after = { ...before, inSyncReplicas: keptInSync(before, 9, undefined) };
  const retry = chooseNewPrimary({
    repo: 'r', status: statusView(after, 'quorum'),
    reports: [{ agent: 'b', appliedSeq: 40, epoch: 9, inSync: true, reachable: true }, { agent: 'c', appliedSeq: 41, epoch: 9, inSync: true, reachable: true }],
  });
  t.is(retry.decision === 'promote' && retry.newPrimary, 'c');
  // What the status write did before (an empty set) blocked every retry for good where the record is required (async);
  // with quorum writes an erased record no longer blocks at all.
  const reports = [
    { agent: 'b', appliedSeq: 40, epoch: 9, inSync: true, reachable: true }, { agent: 'c', appliedSeq: 41, epoch: 9, inSync: true, reachable: true },
  ];
  const erasedAsync = chooseNewPrimary({ repo: 'r', status: statusView({ ...before, inSyncReplicas: [] }, 'async'), reports });
  t.is(erasedAsync.decision === 'degraded' && erasedAsync.reason, 'NoInSyncReplica');
  t.is(chooseNewPrimary({ repo: 'r', status: statusView({ ...before, inSyncReplicas: keptInSync(before, 9, undefined) }, 'async'), reports }).decision, 'promote');
  const erasedQuorum = chooseNewPrimary({ repo: 'r', status: statusView({ ...before, inSyncReplicas: [] }, 'quorum'), reports });
  t.is(erasedQuorum.decision === 'promote' && erasedQuorum.newPrimary, 'c');
});

test('blockedRetryMs: 200 ms first, doubling, never above 5 s', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6, 7].map(blockedRetryMs), [200, 400, 800, 1600, 3200, 5000, 5000]);
  t.is(blockedRetryMs(1_000), 5000);
  t.is(blockedRetryMs(0), 200);
});

const state = (over: Partial<RepoState>): RepoState => ({
  repo: 'r', role: Role.ROLE_REPLICA, epoch: 4, appliedSeq: 17, lastEpoch: 3, refs: [], checksum: '', primaryAddr: '10.0.0.1:9090',
  writeConcern: 0, members: [], inSync: true, fenced: false, assignmentEpoch: 3, damaged: false, damage: '', ...over,
});

test('reportOf: a fenced replica reports the epoch it followed, so the decision compares it with the record', (t) => {
  t.deepEqual(reportOf('b', state({})), { agent: 'b', appliedSeq: 17, epoch: 3, inSync: true, reachable: true });
  // An agent from before assignment_epoch: its epoch is the assignment's (it could not have been fenced by us).
  t.is(reportOf('b', state({ assignmentEpoch: 0 })).epoch, 4);
  const view = statusView({ primary: 'a', replicas: ['b', 'c'], epoch: 3, inSyncReplicas: ['b', 'c'] }, 'quorum');
  const d = chooseNewPrimary({ repo: 'r', status: view, reports: [reportOf('b', state({})), reportOf('c', state({ appliedSeq: 16 }))] });
  t.is(d.decision === 'promote' && d.newPrimary, 'b');
  t.is(d.decision === 'promote' && d.newEpoch, 4, 'the epoch the replicas were fenced at');
});

test('trustedFailures: two or more agents failing at once with none left healthy is held back until one answers', (t) => {
  const none = new Set<string>();
  const set = (...a: string[]) => new Set(a);
  t.deepEqual([...trustedFailures(none, set('a'), 4)], ['a'], 'one agent failing is acted on');
  t.deepEqual([...trustedFailures(none, set('a', 'b', 'c'), 4)], ['a', 'b', 'c'], 'several, with one still healthy: acted on');
  t.deepEqual([...trustedFailures(none, set('a', 'b', 'c', 'd'), 4)], [], 'all at once: the observer is suspect');
  t.deepEqual([...trustedFailures(set('a'), set('a', 'b', 'c', 'd'), 4)], ['a'], 'an earlier real failure stands');
  t.deepEqual([...trustedFailures(set('a', 'b', 'c'), set('a', 'b', 'c', 'd'), 4)], ['a', 'b', 'c', 'd'], 'the last healthy one failing alone is acted on');
  t.deepEqual([...trustedFailures(none, set('a', 'b'), 2)], [], 'both of two at once: held');
  t.deepEqual([...trustedFailures(none, set('a'), 1)], ['a'], 'a single agent is acted on');
});

test('trustedFailures: agents failing one look apart count as together while the first failure is recent', (t) => {
  const set = (...a: string[]) => new Set(a);
  // a, b, c failed in the last window; d now: all four within a window.
  t.deepEqual([...trustedFailures(set('a', 'b', 'c'), set('a', 'b', 'c', 'd'), 4, set('c'))], ['a', 'b', 'c']);
  t.deepEqual([...trustedFailures(set('a', 'b', 'c'), set('a', 'b', 'c', 'd'), 4, set())], ['a', 'b', 'c', 'd'], 'long after: acted on');
});

test('quorum writes: a caught-up replica missing from a lagging in-sync record is still promotable, never a stale one', (t) => {
  // The record says only b, written while c's stream was reconnecting; c caught up in this epoch and holds more.
  const view = statusView({ primary: 'a', replicas: ['b', 'c'], epoch: 6, inSyncReplicas: ['b'] }, 'quorum');
  const r = (agent: string, appliedSeq: number, inSync = true) => ({ agent, appliedSeq, epoch: 6, inSync, reachable: true });
  const d = chooseNewPrimary({ repo: 'r', status: view, reports: [r('b', 70), r('c', 72)] });
  t.is(d.decision === 'promote' && d.newPrimary, 'c');
  // Still: a copy that never caught up in this epoch is not promoted, and a caught-up one behind another is not.
  const never = chooseNewPrimary({ repo: 'r', status: view, reports: [r('b', 70, false), r('c', 72, false)] });
  t.is(never.decision === 'degraded' && never.reason, 'NoInSyncReplica');
  const behind = chooseNewPrimary({ repo: 'r', status: view, reports: [r('b', 70), r('c', 72, false)] });
  t.is(behind.decision === 'degraded' && behind.reason, 'ReplicasBehindAcknowledged');
  // Async: the record is still required.
  const async = chooseNewPrimary({ repo: 'r', status: statusView({ primary: 'a', replicas: ['b', 'c'], epoch: 6, inSyncReplicas: ['b'] }, 'async'), reports: [r('c', 72)] });
  t.is(async.decision === 'degraded' && async.reason, 'NoInSyncReplica');
});
