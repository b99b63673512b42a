// Status conditions: meta.SetStatusCondition semantics, and the Repository / GovcCluster conditions from facts.
import test from 'ava';
import { ClusterFacts, clusterPhase, findCondition, isFalse, isTrue, repositoryConditions, RepositoryFacts, rfc3339, setCondition } from '../src/conditions.js';

const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const T1 = T0 + 60_000;

test('rfc3339 has seconds precision like metav1.Time', (t) => {
  t.is(rfc3339(T0), '2025-01-02T03:04:05Z');
  t.is(rfc3339(new Date(T0)), '2025-01-02T03:04:05Z');
});

test('setCondition adds with the transition time and generation', (t) => {
  const c = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: 'm' }, T0, 3);
  t.deepEqual(c, [
    { type: 'Ready', status: 'False', reason: 'Starting', message: 'm', lastTransitionTime: '2025-01-02T03:04:05Z', observedGeneration: 3 },
  ]);
});

test('lastTransitionTime changes only when the status flips; reason, message, generation always update', (t) => {
  const start = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: 'a' }, T0, 1);
  const same = setCondition(start, { type: 'Ready', status: 'False', reason: 'Waiting', message: 'b' }, T1, 2);
  t.is(same[0].lastTransitionTime, rfc3339(T0));
  t.is(same[0].reason, 'Waiting');
  t.is(same[0].message, 'b');
  t.is(same[0].observedGeneration, 2);
  const flipped = setCondition(same, { type: 'Ready', status: 'True', reason: 'Up', message: 'c' }, T1, 2);
  t.is(flipped[0].lastTransitionTime, rfc3339(T1));
  t.true(isTrue(flipped, 'Ready'));
  t.false(isFalse(flipped, 'Ready'));
  t.false(isTrue(flipped, 'Missing'));
});

test('setCondition is pure and returns the same array when nothing changed', (t) => {
  const start = setCondition([], { type: 'A', status: 'True', reason: 'R', message: 'm' }, T0, 1);
  const copy = structuredClone(start);
  const again = setCondition(start, { type: 'A', status: 'True', reason: 'R', message: 'm' }, T1, 1);
  t.is(again, start);
  const other = setCondition(start, { type: 'B', status: 'Unknown', reason: 'R', message: 'm' }, T1, 1);
  t.not(other, start);
  t.deepEqual(start, copy, 'input untouched');
  t.deepEqual(other.map((c) => c.type), ['A', 'B'], 'order kept, new ones appended');
  // No generation given: the previous one is kept.
  t.is(setCondition(start, { type: 'A', status: 'False', reason: 'R', message: 'm' }, T1)[0].observedGeneration, 1);
});

const healthy: RepositoryFacts = {
  generation: 4,
  replicationFactor: 3,
  primary: 'agent-1',
  placedCopies: 3,
  inSyncCopies: 3,
  primaryServing: true,
};

test('repository: scheduled, ready and replicated when all is well', (t) => {
  const c = repositoryConditions([], healthy, T0);
  t.deepEqual(
    c.map((x) => [x.type, x.status, x.reason, x.observedGeneration]),
    [
      ['Scheduled', 'True', 'Placed', 4],
      ['Ready', 'True', 'PrimaryServing', 4],
      ['Replicated', 'True', 'FullyReplicated', 4],
    ],
  );
});

test('repository: failover, blocked failover, catching up, under-replicated, unscheduled', (t) => {
  const ok = repositoryConditions([], healthy, T0);
  const failing = repositoryConditions(ok, { ...healthy, primary: null, failover: {}, inSyncCopies: 2 }, T1);
  t.is(findCondition(failing, 'Ready')!.reason, 'FailoverInProgress');
  t.is(findCondition(failing, 'Ready')!.lastTransitionTime, rfc3339(T1));
  t.is(findCondition(failing, 'Scheduled')!.lastTransitionTime, rfc3339(T0), 'still True: unchanged time');
  t.is(findCondition(failing, 'Replicated')!.reason, 'CatchingUp');
  const blocked = repositoryConditions(
    failing,
    { ...healthy, primary: null, failover: { blocked: { reason: 'NoInSyncReplica', message: 'no replica in sync' } } },
    T1,
  );
  t.is(findCondition(blocked, 'Ready')!.reason, 'NoInSyncReplica');
  const under = repositoryConditions([], { ...healthy, placedCopies: 2, inSyncCopies: 2 }, T0);
  t.is(findCondition(under, 'Scheduled')!.reason, 'PartiallyPlaced');
  t.is(findCondition(under, 'Replicated')!.reason, 'UnderReplicated');
  const none = repositoryConditions([], { ...healthy, primary: null, placedCopies: 0, inSyncCopies: undefined, primaryServing: false }, T0);
  t.deepEqual(none.map((x) => x.status), ['False', 'False', 'Unknown']);
  const down = repositoryConditions([], { ...healthy, primaryServing: false }, T0);
  t.is(findCondition(down, 'Ready')!.reason, 'PrimaryUnavailable');
});

const running: ClusterFacts = {
  generation: 2,
  desiredAgents: 3,
  agents: 3,
  readyAgents: 3,
  failedAgents: 0,
  repositories: 10,
  readyRepositories: 10,
  degradedRepositories: 0,
  underReplicatedRepositories: 0,
  movingRepositories: 0,
  drainingAgents: [],
  copiesOnDrainingAgents: 0,
};

test('cluster phase and conditions follow the facts', (t) => {
  const ok = clusterPhase([], running, T0);
  t.is(ok.phase, 'Running');
  t.deepEqual(ok.conditions.map((c) => [c.type, c.status]), [
    ['Ready', 'True'],
    ['Progressing', 'False'],
    ['Degraded', 'False'],
  ]);
  t.is(clusterPhase([], { ...running, readyAgents: 0, readyRepositories: 0 }, T0).phase, 'Pending');
  const scaling = clusterPhase(ok.conditions, { ...running, desiredAgents: 4 }, T1);
  t.is(scaling.phase, 'Scaling');
  t.is(findCondition(scaling.conditions, 'Progressing')!.reason, 'Scaling');
  t.is(findCondition(scaling.conditions, 'Progressing')!.lastTransitionTime, rfc3339(T1));
  t.is(findCondition(scaling.conditions, 'Degraded')!.lastTransitionTime, rfc3339(T0));
  const moving = clusterPhase([], { ...running, movingRepositories: 5 }, T0);
  t.is(moving.phase, 'Rebalancing');
  t.regex(findCondition(moving.conditions, 'Progressing')!.message, /5 repositories moving/);
  // A drain under way is scale-in progress even once spec.agents and the Pods agree on the count.
  const draining = clusterPhase([], { ...running, agents: 3, desiredAgents: 2, drainingAgents: ['demo-agent-2'], copiesOnDrainingAgents: 7 }, T0);
  t.is(draining.phase, 'Scaling');
  t.is(findCondition(draining.conditions, 'Progressing')!.reason, 'Draining');
  t.regex(findCondition(draining.conditions, 'Progressing')!.message, /draining demo-agent-2 \(7 copies/);
  const degraded = clusterPhase([], { ...running, degradedRepositories: 1, readyRepositories: 9 }, T0);
  t.is(degraded.phase, 'Degraded');
  t.is(findCondition(degraded.conditions, 'Degraded')!.reason, 'RepositoriesUnavailable');
  t.is(findCondition(degraded.conditions, 'Ready')!.reason, 'RepositoriesNotReady');
  t.is(clusterPhase([], { ...running, failedAgents: 1, readyAgents: 2 }, T0).phase, 'Degraded');
  t.true(clusterPhase([], running, T0).conditions.every((c) => c.observedGeneration === 2));
});
