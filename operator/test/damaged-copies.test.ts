// Damaged copies as a kubectl user sees them: which copy is damaged and why (status.damagedCopies), from what the
// operator heard in its looks; the reasons on the Repository's conditions (CopyDamaged) and phase; the GovcCluster
// counting a repository nothing can serve; the route that makes every agent answer 503 rather than 404; and which
// repositories the cluster reconcile re-queues when an agent's damaged list changes.
import test from 'ava';
import { type DamagedCopy, damagedCopies, observeDamage, sameDamage } from '../src/damaged-copies.js';
import { DamageTracker } from '../src/controllers/damage-tracker.js';
import { damagedPrimaryBlocked } from '../src/damaged-primary.js';
import { findCondition } from '../src/conditions.js';
import { observedStatus } from '../src/controllers/repository-status.js';
import { clusterStatus } from '../src/controllers/cluster-status.js';
import { damageChanges } from '../src/controllers/cluster-reconciler.js';
import { routable } from '../src/controllers/route-publisher.js';
import type { GovcClusterResource, RepositoryResource } from '../src/crd/generated-types.js';

const members = [
  { agent: 'a', address: 'a:9090', role: 'primary' as const },
  { agent: 'b', address: 'b:9090', role: 'replica' as const },
  { agent: 'c', address: 'c:9090', role: 'replica' as const },
];
const healthy = { damaged: false, damage: '' };
const corrupt = { damaged: true, damage: 'journal is corrupt: record at byte 10: checksum mismatch' };
const T0 = '2026-12-01T10:00:00Z';
const T1 = '2026-12-01T10:05:00Z';

test('the primary\'s own state says whether its copy is damaged; its in-sync report clears replicas', (t) => {
  const seen = observeDamage({ members, primary: { ...healthy, members: [{ addr: 'b:9090', inSync: true }, { addr: 'c:9090', inSync: false }] } });
  t.deepEqual([...seen], [['a', null], ['b', null]], 'c is not in sync: nothing heard about it');
  t.deepEqual([...observeDamage({ members, primary: { ...corrupt, members: [] } })], [['a', corrupt.damage]]);
  // An agent that gives no reason still counts as damaged.
  t.deepEqual([...observeDamage({ members, primary: { damaged: true, damage: '', members: [] } })], [['a', 'damaged']]);
});

test('members\' own states (read, or answered by Assign) say it for each; copies outside the set are ignored', (t) => {
  const states = new Map([['b', corrupt], ['c', null], ['z', corrupt]]);
  t.deepEqual([...observeDamage({ members, primary: null, states })], [['b', corrupt.damage], ['c', null]]);
});

test('the record keeps when a copy was first seen damaged, drops healed and removed copies, keeps what was not heard', (t) => {
  const first = damagedCopies(undefined, members, new Map([['b', 'x'], ['a', null]]), T0);
  t.deepEqual(first, [{ agent: 'b', role: 'replica', damage: 'x', since: T0 }]);
  // Not heard about: kept. Heard damaged again (another reason): since kept, reason updated.
  t.deepEqual(damagedCopies(first, members, new Map(), T1), first);
  t.deepEqual(damagedCopies(first, members, new Map([['b', 'y']]), T1), [{ agent: 'b', role: 'replica', damage: 'y', since: T0 }]);
  // Healed.
  t.deepEqual(damagedCopies(first, members, new Map([['b', null]]), T1), []);
  // Dropped from the replica set.
  t.deepEqual(damagedCopies(first, members.filter((m) => m.agent !== 'b'), new Map(), T1), []);
  // The damaged primary failed over and kept as a replica: its role follows the set.
  const wasPrimary: DamagedCopy[] = [{ agent: 'a', role: 'primary', damage: 'x', since: T0 }];
  const after = [{ agent: 'b', address: 'b:9090', role: 'primary' as const }, { agent: 'a', address: 'a:9090', role: 'replica' as const }];
  t.deepEqual(damagedCopies(wasPrimary, after, new Map(), T1), [{ agent: 'a', role: 'replica', damage: 'x', since: T0 }]);
  t.true(sameDamage(undefined, []));
  t.false(sameDamage(first, []));
});

test('the only copy damaged: Ready False CopyDamaged naming the agent and the damage, phase Degraded', (t) => {
  const blocked = damagedPrimaryBlocked('a', corrupt.damage, 0, { reason: 'NoReplicas', message: 'r has no replica to promote' });
  t.is(blocked.reason, 'CopyDamaged');
  t.regex(blocked.message, /^the only copy, on a, is damaged \(journal is corrupt: record at byte 10: checksum mismatch\)/);
  t.regex(blocked.message, /503 repository_damaged/);
  const damaged: DamagedCopy[] = [{ agent: 'a', role: 'primary', damage: corrupt.damage, since: T0 }];
  const s = observedStatus({
    generation: 1, previous: undefined, members: [members[0]], epoch: 3, replicationFactor: 1, defaultBranch: 'main',
    primary: null, failoverBlocked: blocked, damagedCopies: damaged, now: T1,
  });
  const ready = findCondition(s.conditions!, 'Ready')!;
  t.is(ready.status, 'False');
  t.is(ready.reason, 'CopyDamaged');
  t.is(s.phase, 'Degraded');
  t.deepEqual(s.damagedCopies, damaged);
});

test('a damaged primary with replicas that cannot take over says why none can', (t) => {
  const blocked = damagedPrimaryBlocked('a', 'x', 2, { reason: 'NoInSyncReplica', message: 'no reachable replica of r is in sync in epoch 4' });
  t.is(blocked.message, 'the primary\'s copy, on a, is damaged (x) and no replica can take over yet (NoInSyncReplica: no reachable replica of r is in sync in epoch 4)');
});

test('a damaged replica re-seeding: Ready stays True, Replicated False CopyDamaged with the agent and since when', (t) => {
  const damaged: DamagedCopy[] = [{ agent: 'c', role: 'replica', damage: corrupt.damage, since: T0 }];
  const s = observedStatus({
    generation: 1, previous: undefined, members, epoch: 3, replicationFactor: 3, defaultBranch: 'main',
    primary: { epoch: 3, isPrimary: true, fenced: false, appliedSeq: 9, refs: [], members: [{ addr: 'b:9090', inSync: true }, { addr: 'c:9090', inSync: false }] },
    damagedCopies: damaged, now: T1,
  });
  t.is(findCondition(s.conditions!, 'Ready')!.status, 'True');
  const replicated = findCondition(s.conditions!, 'Replicated')!;
  t.is(replicated.reason, 'CopyDamaged');
  t.is(replicated.message, `2 of 3 copies in sync; damaged, re-seeding from the primary: c (${corrupt.damage}; since ${T0})`);
  t.is(s.phase, 'Placing');
  // Healed: no field, the usual reasons.
  const healed = observedStatus({
    generation: 1, previous: s as never, members, epoch: 3, replicationFactor: 3, defaultBranch: 'main',
    primary: { epoch: 3, isPrimary: true, fenced: false, appliedSeq: 9, refs: [], members: [{ addr: 'b:9090', inSync: true }, { addr: 'c:9090', inSync: true }] },
    damagedCopies: [], now: T1,
  });
  t.false('damagedCopies' in healed);
  t.is(findCondition(healed.conditions!, 'Replicated')!.reason, 'FullyReplicated');
  t.is(healed.phase, 'Ready');
});

const repo = (name: string, ready: { status: 'True' | 'False'; reason: string }): RepositoryResource => ({
  apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: 'ns' }, spec: { clusterRef: 'demo' },
  status: { phase: ready.status === 'True' ? 'Ready' : 'Degraded', primary: 'a', epoch: 4, conditions: [{ type: 'Ready', ...ready, message: '', lastTransitionTime: T0 }] },
} as RepositoryResource);

test('the GovcCluster counts a repository whose damaged copy nothing can replace as having no promotable copy', (t) => {
  const cluster = { apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: 'demo', namespace: 'ns', generation: 1 }, spec: { agents: 1 } } as GovcClusterResource;
  const agents = [{ name: 'a', ip: '10.0.0.1', ready: true, addr: '10.0.0.1:9090', httpAddr: '10.0.0.1:8080', terminating: false, incarnation: 'u' }];
  const s = clusterStatus(cluster, agents, new Map(), [repo('solo', { status: 'False', reason: 'CopyDamaged' })], Date.parse(T1), new Map([['a', ['solo']]]));
  t.is(s.phase, 'Degraded');
  t.is(findCondition(s.conditions as never, 'Degraded')!.reason, 'RepositoriesUnavailable');
  t.deepEqual(s.agentStatuses![0].damagedRepositories, ['solo']);
  const fine = clusterStatus(cluster, agents, new Map(), [repo('solo', { status: 'True', reason: 'PrimaryServing' })], Date.parse(T1));
  t.false('damagedRepositories' in fine.agentStatuses![0]);
});

test('a repository whose damaged primary nothing can replace is routed to it (503 with the reason, not 404)', (t) => {
  t.true(routable(repo('solo', { status: 'False', reason: 'CopyDamaged' })).serving);
  t.true(routable(repo('r', { status: 'True', reason: 'PrimaryServing' })).serving);
  t.false(routable(repo('r', { status: 'False', reason: 'FailoverInProgress' })).serving);
  t.false(routable(repo('r', { status: 'False', reason: 'NoReplicas' })).serving);
});

test('an agent\'s damaged list changing re-queues exactly the repositories that appeared or went', (t) => {
  const before = new Map([['a', ['r1', 'r2']], ['b', ['r3']]]);
  t.deepEqual(damageChanges(before, before), []);
  t.deepEqual(damageChanges(new Map(), before), ['r1', 'r2', 'r3']);
  t.deepEqual(damageChanges(before, new Map([['a', ['r2']], ['b', ['r3', 'r4']]])), ['r1', 'r4']);
  // The same repository moving between agents is a change of both.
  t.deepEqual(damageChanges(new Map([['a', ['r1']]]), new Map([['b', ['r1']]])), ['r1']);
});

test('a replica damaged for long is reported once per episode as not healing; primaries and fresh damage are not', (t) => {
  const tracker = new DamageTracker();
  const now = Date.parse(T1);
  const list: DamagedCopy[] = [
    { agent: 'b', role: 'replica', damage: 'x', since: T0 },
    { agent: 'c', role: 'replica', damage: 'x', since: '2026-12-01T10:04:30Z' },
    { agent: 'a', role: 'primary', damage: 'x', since: T0 },
  ];
  t.deepEqual(tracker.newlyStalled('ns/r', list, now, 120_000), ['b']);
  t.deepEqual(tracker.newlyStalled('ns/r', list, now + 120_000, 120_000), ['c'], 'b reported already; c now over two minutes old');
  t.deepEqual(tracker.newlyStalled('ns/r', list, now + 120_000, 120_000), []);
  // Healed and damaged again later: a new episode.
  t.deepEqual(tracker.newlyStalled('ns/r', [{ ...list[0], since: T1 }], now + 300_000, 120_000), ['b']);
  tracker.forget('ns/r');
  t.deepEqual(tracker.newlyStalled('ns/r', [list[0]], now, 120_000), ['b'], 'a deleted repository\'s record is gone');
});
