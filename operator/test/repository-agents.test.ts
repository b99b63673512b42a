import test from 'ava';
import { Role, type RepoState } from '../src/agents/agent-admin.js';
import type { AgentView } from '../src/controllers/agent-view.js';
import { settled } from '../src/controllers/repository-agents.js';
import { membersOf } from '../src/controllers/repository-plan.js';
import { cacheBehind } from '../src/controllers/repository-reconciler.js';
import { justPlaced } from '../src/controllers/repository-status.js';
import { batchMessage } from '../src/runtime/event-recorder.js';

const agent = (i: number, ready = true): AgentView => ({
  name: `demo-agent-${i}`, ip: `127.0.0.${i + 1}`, ready,
  addr: `127.0.0.${i + 1}:9090`, httpAddr: `127.0.0.${i + 1}:8080`, terminating: false, incarnation: `u${i}`,
});
const three = [agent(0), agent(1), agent(2)];
const members = membersOf('demo-agent-0', ['demo-agent-1', 'demo-agent-2'], three);

function primaryReport(over: Partial<RepoState> = {}): RepoState {
  return {
    repo: 'r', role: Role.ROLE_PRIMARY, epoch: 3, appliedSeq: 0, lastEpoch: 0, refs: [], checksum: '', primaryAddr: '127.0.0.1:9090',
    writeConcern: 0, inSync: true, fenced: false, assignmentEpoch: 3, damaged: false, damage: '',
    members: [
      { addr: '127.0.0.2:9090', ackedSeq: 0, connected: true, inSync: true, sentSeq: 0, stalled: false, bufferedMessages: 0 },
      { addr: '127.0.0.3:9090', ackedSeq: 0, connected: true, inSync: true, sentSeq: 0, stalled: false, bufferedMessages: 0 },
    ],
    ...over,
  };
}

test('a primary serving the epoch with every replica in sync settles the replica set', (t) => {
  t.true(settled(primaryReport(), three, { epoch: 3, members }));
});

test('anything short of that sends the reconcile to look at each member', (t) => {
  t.false(settled(null, three, { epoch: 3, members }), 'no report');
  t.false(settled(primaryReport({ epoch: 2 }), three, { epoch: 3, members }), 'older epoch');
  t.false(settled(primaryReport({ epoch: 4 }), three, { epoch: 3, members }), 'newer epoch: the record is behind');
  t.false(settled(primaryReport({ fenced: true }), three, { epoch: 3, members }), 'fenced');
  t.false(settled(primaryReport({ role: Role.ROLE_REPLICA }), three, { epoch: 3, members }), 'not primary');
  t.false(settled(primaryReport({ primaryAddr: '127.0.0.2:9090' }), three, { epoch: 3, members }), 'another primary address');
  const lagging = primaryReport();
  lagging.members[1] = { ...lagging.members[1], inSync: false };
  t.false(settled(lagging, three, { epoch: 3, members }), 'a replica not in sync');
  const gone = primaryReport();
  gone.members = gone.members.slice(0, 1);
  t.false(settled(gone, three, { epoch: 3, members }), 'a replica missing');
  const disconnected = primaryReport();
  disconnected.members[0] = { ...disconnected.members[0], connected: false };
  t.false(settled(disconnected, three, { epoch: 3, members }), 'a replica disconnected');
  t.false(settled(primaryReport(), [agent(0), agent(1), agent(2, false)], { epoch: 3, members }), 'a member agent not ready');
  const moved = [agent(0), agent(1), { ...agent(2), addr: '127.0.0.9:9090' }];
  t.false(settled(primaryReport(), moved, { epoch: 3, members }), 'a member agent at another address');
});

test('a replica set of one settles on the primary alone', (t) => {
  const solo = membersOf('demo-agent-0', [], three);
  t.true(settled(primaryReport({ members: [] }), three, { epoch: 3, members: solo }));
});

test('a batched Event names its count and the first items', (t) => {
  t.is(batchMessage('placed repositories', ['a', 'b']), 'placed repositories 2: a; b');
  const many = Array.from({ length: 25 }, (_, i) => `r${i}`);
  const msg = batchMessage('placed repositories', many, 3);
  t.is(msg, 'placed repositories 25: r0; r1; r2; … and 22 more');
});

test('a placement is "just placed" until observed, for a few seconds at most', (t) => {
  const at = Date.parse('2026-01-01T00:00:00Z');
  const placed = (phase: string, conditions: Array<{ type: string; status: string }>) => ({
    apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name: 'r' }, spec: { clusterRef: 'c' },
    status: { phase, conditions: conditions.map((c) => ({ ...c, reason: 'X', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' })) },
  }) as unknown as Parameters<typeof justPlaced>[0];
  t.true(justPlaced(placed('Placing', [{ type: 'Scheduled', status: 'True' }]), at + 1_000));
  t.false(justPlaced(placed('Placing', [{ type: 'Scheduled', status: 'True' }]), at + 6_000), 'too long: show what is happening');
  t.false(justPlaced(placed('Placing', [{ type: 'Scheduled', status: 'True' }, { type: 'Ready', status: 'False' }]), at + 1_000), 'observed before');
  t.false(justPlaced(placed('Ready', [{ type: 'Scheduled', status: 'True' }]), at + 1_000));
  t.false(justPlaced(placed('Pending', [{ type: 'Scheduled', status: 'False' }]), at + 1_000));
});

test('a cached status older than the epoch this process recorded for the same object waits for the cache', (t) => {
  const recorded = { uid: 'u1', epoch: 9 };
  t.true(cacheBehind({ metadata: { uid: 'u1' }, status: { epoch: 8 } }, recorded), 'stale cache: act on nothing');
  t.false(cacheBehind({ metadata: { uid: 'u1' }, status: { epoch: 9 } }, recorded));
  t.false(cacheBehind({ metadata: { uid: 'u1' }, status: { epoch: 10 } }, recorded), 'someone moved it further');
  t.false(cacheBehind({ metadata: { uid: 'u2' }, status: {} }, recorded), 'a new object of the same name starts afresh');
  t.false(cacheBehind({ metadata: { uid: 'u1' }, status: { epoch: 3 } }, undefined), 'nothing recorded by this process');
});

test('a cached object older than this process\'s last write to it waits (its write would only conflict)', (t) => {
  const written = { uid: 'u1', epoch: 9, resourceVersion: '1200' };
  t.true(cacheBehind({ metadata: { uid: 'u1', resourceVersion: '1199' }, status: { epoch: 9 } }, written));
  t.true(cacheBehind({ metadata: { uid: 'u1', resourceVersion: '999' }, status: { epoch: 9 } }, written), 'compared as numbers, not text');
  t.false(cacheBehind({ metadata: { uid: 'u1', resourceVersion: '1200' }, status: { epoch: 9 } }, written));
  t.false(cacheBehind({ metadata: { uid: 'u1', resourceVersion: '1201' }, status: { epoch: 9 } }, written));
  t.false(cacheBehind({ metadata: { uid: 'u1', resourceVersion: 'abc' }, status: { epoch: 9 } }, written), 'not an integer: opaque, not compared');
  t.false(cacheBehind({ metadata: { uid: 'u2', resourceVersion: '5' }, status: {} }, written), 'another object of the same name');
});
