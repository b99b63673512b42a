// Planned hand-over: the old primary fenced first, its final seq known; the new primary a replica that applied it.
import test from 'ava';
import type { ReplicaReport } from '../src/failover.js';
import { canHandOver, type HandoverInput, planHandover } from '../src/handover.js';

function report(agent: string, appliedSeq: number, extra: Partial<ReplicaReport> = {}): ReplicaReport {
  return { agent, appliedSeq, epoch: 7, inSync: true, reachable: true, ...extra };
}

const base: HandoverInput = {
  repo: 'r', epoch: 7, oldPrimary: 'a', finalSeq: 42, replicas: ['b', 'c'], reports: [], waitedMs: 0, maxWaitMs: 300,
};

test('a replica that applied the final seq takes over at epoch + 1', (t) => {
  const plan = planHandover({ ...base, reports: [report('b', 41), report('c', 42)] });
  t.deepEqual(plan, { decision: 'promote', repo: 'r', newPrimary: 'c', newEpoch: 8, appliedSeq: 42 });
});

test('among caught-up replicas the one placement keeps wins, then the lowest name, whatever the report order', (t) => {
  const reports = [report('c', 42), report('b', 42), report('d', 42)];
  const replicas = ['b', 'c', 'd'];
  for (const order of [reports, [...reports].reverse()]) {
    const plan = planHandover({ ...base, replicas, reports: order });
    t.is(plan.decision === 'promote' ? plan.newPrimary : plan.decision, 'b');
    const kept = planHandover({ ...base, replicas, reports: order, keep: ['d'] });
    t.is(kept.decision === 'promote' ? kept.newPrimary : kept.decision, 'd');
  }
});

test('nobody caught up yet: wait for the most advanced replica, then leave it to the failover choice', (t) => {
  const reports = [report('b', 40), report('c', 41)];
  const waiting = planHandover({ ...base, reports, waitedMs: 100 });
  t.is(waiting.decision, 'wait');
  if (waiting.decision === 'wait') {
    t.is(waiting.agent, 'c');
    t.is(waiting.behind, 1);
  }
  const late = planHandover({ ...base, reports, waitedMs: 300 });
  t.is(late.decision === 'failover' && late.reason, 'NotCaughtUp');
  t.is(planHandover({ ...base, reports, waitedMs: 300, writeConcern: 'quorum' }).decision, 'failover');
});

test('async: a replica short of the final seq never takes over; the old primary keeps serving', (t) => {
  const reports = [report('b', 40), report('c', 41)];
  t.is(planHandover({ ...base, reports, waitedMs: 100, writeConcern: 'async' }).decision, 'wait');
  const late = planHandover({ ...base, reports, waitedMs: 300, writeConcern: 'async' });
  t.is(late.decision, 'keep');
  t.regex(late.decision === 'keep' ? late.message : '', /keeps serving/);
  // Caught up: promoted as with any write concern; the old primary unreachable: the failover choice decides.
  t.is(planHandover({ ...base, reports: [report('b', 42)], waitedMs: 300, writeConcern: 'async' }).decision, 'promote');
  t.is(planHandover({ ...base, finalSeq: null, reports, writeConcern: 'async' }).decision, 'failover');
});

test('an old primary that did not answer the fence: the failover choice decides', (t) => {
  const plan = planHandover({ ...base, finalSeq: null, reports: [report('b', 99)] });
  t.is(plan.decision === 'failover' && plan.reason, 'OldPrimaryUnreachable');
});

test('never a replica that is unreachable, out of sync, of another epoch, excluded, not recorded, or the old primary', (t) => {
  const reports = [
    report('b', 50, { reachable: false }),
    report('c', 50, { inSync: false }),
    report('d', 50, { epoch: 6 }),
    report('e', 50),
    report('f', 50),
    report('a', 50),
  ];
  const plan = planHandover({ ...base, replicas: ['a', 'b', 'c', 'd', 'e'], reports, excluded: ['e'] });
  t.is(plan.decision === 'failover' && plan.reason, 'NoCandidate');
  // The same with one good copy among them: only that one.
  const good = planHandover({ ...base, replicas: ['a', 'b', 'c', 'd', 'e', 'g'], reports: [...reports, report('g', 42)], excluded: ['e'] });
  t.is(good.decision === 'promote' && good.newPrimary, 'g');
});

test('a replica ahead of the final seq (it cannot be, but a stale answer might say so) still counts as caught up', (t) => {
  const plan = planHandover({ ...base, reports: [report('b', 43)] });
  t.is(plan.decision === 'promote' && plan.newPrimary, 'b');
});

test('no fence without a recorded in-sync replica on an agent that stays (a single copy keeps serving)', (t) => {
  const agents = [{ name: 'a', ready: true, draining: true }, { name: 'b', ready: true }, { name: 'c', ready: false }, { name: 'd', ready: true, draining: true }];
  t.false(canHandOver({ replicas: [] }, agents), 'a single copy');
  t.false(canHandOver({ replicas: ['b'], inSyncReplicas: [] }, agents), 'not in sync');
  t.false(canHandOver({ replicas: ['c'], inSyncReplicas: ['c'] }, agents), 'its agent is not ready');
  t.false(canHandOver({ replicas: ['d'], inSyncReplicas: ['d'] }, agents), 'its agent drains too');
  t.true(canHandOver({ replicas: ['c', 'b'], inSyncReplicas: ['b', 'c'] }, agents));
});
