// A damaged primary (its copy quarantined) is failed over among the recorded replicas and kept as a replica, which
// re-seeds itself; the failover choice then never promotes it.
import test from 'ava';
import { failoverFromDamagedPrimary } from '../src/damaged-primary.js';
import { chooseNewPrimary, statusView } from '../src/failover.js';
import type { RepoDecision } from '../src/types.js';

const keep: RepoDecision = {
  repo: 'r', primary: 'a', replicas: ['b', 'c'], primaryAction: 'keep', previousPrimary: null, failoverCandidates: [],
  underReplicated: false, zoneSpread: 'full',
};

test('a kept primary that is damaged becomes a failover away from it; it stays in the set as a replica', (t) => {
  const d = failoverFromDamagedPrimary(keep, 'a', ['b', 'c']);
  t.truthy(d);
  t.is(d!.primary, null);
  t.is(d!.primaryAction, 'failover');
  t.is(d!.previousPrimary, 'a');
  t.deepEqual(d!.failoverCandidates, ['b', 'c']);
  t.deepEqual(d!.replicas, ['a', 'b', 'c']);
});

test('only replicas recorded in the epoch are candidates (a copy placement is still adding holds nothing)', (t) => {
  const adding = { ...keep, replicas: ['b', 'c', 'd'] };
  t.deepEqual(failoverFromDamagedPrimary(adding, 'a', ['b', 'c'])!.failoverCandidates, ['b', 'c']);
});

test('nothing to do when placement is not keeping that agent as primary', (t) => {
  t.is(failoverFromDamagedPrimary(keep, 'b', ['b', 'c']), undefined);
  t.is(failoverFromDamagedPrimary({ ...keep, primary: null, primaryAction: 'failover', previousPrimary: 'a' }, 'a', ['b', 'c']), undefined);
  t.is(failoverFromDamagedPrimary({ ...keep, primaryAction: 'handoff' }, 'a', ['b', 'c']), undefined);
});

test('the failover then promotes an in-sync replica, and blocks with a reason when the damaged copy was the only one', (t) => {
  const d = failoverFromDamagedPrimary(keep, 'a', ['b', 'c'])!;
  const status = statusView({ primary: 'a', replicas: ['b', 'c'], members: [{}, {}, {}], epoch: 5 }, 'quorum');
  const choice = chooseNewPrimary({
    repo: 'r', status, reports: d.failoverCandidates.map((agent, i) => ({ agent, appliedSeq: 10 + i, epoch: 5, inSync: true, reachable: true })),
  });
  t.is(choice.decision, 'promote');
  if (choice.decision === 'promote') t.is(choice.newPrimary, 'c');
  const single = failoverFromDamagedPrimary({ ...keep, replicas: [] }, 'a', [])!;
  const blocked = chooseNewPrimary({ repo: 'r', status: statusView({ primary: 'a', replicas: [], epoch: 5 }, 'quorum'), reports: [] });
  t.deepEqual(single.failoverCandidates, []);
  t.is(blocked.decision, 'degraded');
  if (blocked.decision === 'degraded') t.is(blocked.reason, 'NoReplicas');
});

test('a damaged replica is not heard: its zero seq hides the writes it acknowledged before its sync failed', (t) => {
  // Quorum of 3: a write was acknowledged by the primary and b; b's sync then failed (quarantined, seq 0 now), the
  // primary died. c, in sync but behind, may lack that write: promoting it needs a word from b that b cannot give.
  const status = statusView({ primary: 'a', replicas: ['b', 'c'], members: [{}, {}, {}], epoch: 5 }, 'quorum');
  const reports = [
    { agent: 'b', appliedSeq: 0, epoch: 5, inSync: false, reachable: true, damaged: true },
    { agent: 'c', appliedSeq: 100, epoch: 5, inSync: true, reachable: true },
  ];
  const choice = chooseNewPrimary({ repo: 'r', status, reports });
  t.is(choice.decision, 'degraded');
  if (choice.decision === 'degraded') {
    t.is(choice.reason, 'QuorumUnreachable');
    t.deepEqual(choice.rejected, [{ agent: 'b', why: 'damaged' }]);
  }
  // Counted as heard (the report without the flag), c would have been promoted at seq 100.
  t.is(chooseNewPrimary({ repo: 'r', status, reports: reports.map(({ damaged: _, ...r }) => r) }).decision, 'promote');
  // With five copies two healthy replicas heard besides a damaged one are enough: the damaged one is only skipped.
  const five = statusView({ primary: 'a', replicas: ['b', 'c', 'd', 'e'], members: [{}, {}, {}, {}, {}], epoch: 5 }, 'quorum');
  const more = chooseNewPrimary({ repo: 'r', status: five, reports: [...reports, { agent: 'd', appliedSeq: 101, epoch: 5, inSync: true, reachable: true }, { agent: 'e', appliedSeq: 99, epoch: 5, inSync: true, reachable: true }] });
  t.is(more.decision, 'promote');
  if (more.decision === 'promote') t.is(more.newPrimary, 'd');
});
