// placeAdditions: new repositories next to existing loads, without moving anything: copies on distinct agents and
// zones, new copies go where there is room (bounds as a full place() would set them), primaries to the agents with
// the fewest; ineligible agents get nothing.
import test from 'ava';
import { addLoads, loadsOf, placeAdditions } from '../src/placement-incremental.js';
import type { AgentInfo } from '../src/types.js';

const agents: AgentInfo[] = [0, 1, 2, 3].map((i) => ({ name: `a${i}`, zone: `z${i % 3}`, ready: true }));

test('new copies avoid the loaded agent and stay within the bounds of the whole placement', (t) => {
  // 200 single-copy repositories all on a0 (e.g. the others just joined).
  const existing = loadsOf(Array.from({ length: 200 }, () => ({ primary: 'a0', replicas: [] })));
  const added = placeAdditions({ additions: Array.from({ length: 200 }, (_, i) => ({ name: `n${i}`, replicationFactor: 1 })), agents, existing });
  const on = (a: string) => added.filter((d) => d.primary === a).length;
  t.is(on('a0'), 0, 'a0 is above its bound already');
  const bound = Math.ceil(1.25 * 400 / 4);
  for (const a of ['a1', 'a2', 'a3']) t.true(on(a) <= bound, `${a}: ${on(a)} ≤ ${bound}`);
  t.true(added.every((d) => d.primaryAction === 'new' && d.replicas.length === 0 && !d.underReplicated));
});

test('two copies: distinct zones, primaries balanced with the existing ones; ineligible agents get nothing', (t) => {
  const existing = loadsOf([]);
  for (let i = 0; i < 100; i++) addLoads(existing, { primary: 'a1', replicas: ['a0'] });
  const some = agents.map((a) => (a.name === 'a3' ? { ...a, draining: true } : a));
  const added = placeAdditions({ additions: Array.from({ length: 300 }, (_, i) => ({ name: `n${i}`, replicationFactor: 2 })), agents: some, existing });
  const zone = new Map(agents.map((a) => [a.name, a.zone]));
  const primaries = new Map<string, number>([['a1', 100]]);
  for (const d of added) {
    const copies = [d.primary!, ...d.replicas];
    t.is(new Set(copies.map((c) => zone.get(c))).size, 2, `${d.repo}: ${copies}`);
    t.false(copies.includes('a3'));
    primaries.set(d.primary!, (primaries.get(d.primary!) ?? 0) + 1);
  }
  const counts = ['a0', 'a1', 'a2'].map((a) => primaries.get(a) ?? 0);
  t.true(Math.max(...counts) - Math.min(...counts) <= 40, `primaries with the existing ones: ${counts}`);
});
