// Copies dropped from a replica set: removed now, or remembered while their agent is not ready.
import test from 'ava';
import { pendingCopies, staleCopies } from '../src/stale-copies.js';

const m = (agent: string) => ({ agent, address: `${agent}:9090` });
const agent = (name: string, ready: boolean, terminating = false) => ({ name, ready, terminating });

test('copies of the previous record and pending ones, minus the new members, each once', (t) => {
  const stale = staleCopies([m('a'), m('b'), m('c')], [m('d'), m('a'), m('b')], [m('b'), m('e')]);
  t.deepEqual(stale.map((x) => x.agent), ['a', 'c', 'd']);
});

test('a pending copy is forgotten once placement wants a copy on that agent again', (t) => {
  t.deepEqual(staleCopies([m('a')], [m('d')], [m('a'), m('d')]), []);
});

test('pending: only copies whose agent exists and is not ready; a deleted or terminating agent took its copy along', (t) => {
  const stale = [m('a'), m('b'), m('c'), m('d')];
  const pending = pendingCopies(stale, [agent('a', true), agent('b', false), agent('c', false, true)]);
  t.deepEqual(pending.map((x) => x.agent), ['b']);
});
