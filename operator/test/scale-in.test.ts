// Scale-in: drain first, delete only agents that hold nothing, highest ordinals first; a scale-out mid-drain undoes it.
import test from 'ava';
import { scaleInStep } from '../src/scale-in.js';

const agents = (n: number, draining: number[] = []) =>
  Array.from({ length: n }, (_, i) => ({ name: `c-agent-${i}`, ordinal: i, draining: draining.includes(i) }));

test('agents above the desired count are drained before anything is deleted', (t) => {
  const step = scaleInStep(3, agents(5), [{ primary: 'c-agent-4', replicas: ['c-agent-0', 'c-agent-1'] }]);
  t.deepEqual(step.drain, ['c-agent-4', 'c-agent-3']);
  t.deepEqual(step.remove, []);
});

test('a drained agent is deleted only when no repository names it, as primary or replica', (t) => {
  const repos = [
    { primary: 'c-agent-0', replicas: ['c-agent-1', 'c-agent-4'] },
    { primary: 'c-agent-4', replicas: ['c-agent-2'] },
    { primary: null, replicas: ['c-agent-4'] },
  ];
  const step = scaleInStep(3, agents(5, [3, 4]), repos);
  t.deepEqual(step.remove, ['c-agent-3']);
  t.deepEqual(step.waiting, [{ agent: 'c-agent-4', copies: 3 }]);
  t.deepEqual(scaleInStep(3, agents(5, [3, 4]), []).remove, ['c-agent-4', 'c-agent-3']);
});

test('nothing to do at or below the desired count; a drain under way is finished even after a scale-out', (t) => {
  t.deepEqual(scaleInStep(3, agents(3), []), { drain: [], stepDown: [], remove: [], waiting: [] });
  const repos = [{ primary: 'c-agent-0', replicas: ['c-agent-4'] }];
  t.deepEqual(scaleInStep(5, agents(5, [4]), repos), { drain: [], stepDown: ['c-agent-4'], remove: [], waiting: [{ agent: 'c-agent-4', copies: 1 }] });
  t.deepEqual(scaleInStep(5, agents(5, [4]), []).remove, ['c-agent-4']);
});

test('a draining agent steps down (Admin.Drain) only once it leads nothing: its primaries are handed over first', (t) => {
  const repos = [
    { primary: 'c-agent-4', replicas: ['c-agent-0', 'c-agent-1'] },
    { primary: 'c-agent-0', replicas: ['c-agent-3', 'c-agent-1'] },
  ];
  const first = scaleInStep(3, agents(5), repos);
  t.deepEqual(first.drain, ['c-agent-4', 'c-agent-3']);
  t.deepEqual(first.stepDown, ['c-agent-3'], 'agent-4 still leads a repository');
  // Its primary handed over, agent-4 steps down too, while both still hold replicas (not deleted yet).
  const later = scaleInStep(3, agents(5, [3, 4]), [
    { primary: 'c-agent-1', replicas: ['c-agent-0', 'c-agent-4'] },
    { primary: 'c-agent-0', replicas: ['c-agent-3', 'c-agent-1'] },
  ]);
  t.deepEqual(later.stepDown, ['c-agent-4', 'c-agent-3']);
  t.deepEqual(later.remove, []);
  t.deepEqual(later.waiting.map((w) => w.agent), ['c-agent-4', 'c-agent-3']);
});
