import test from 'ava';
import { batches, desiredRoutes, routeDelta, routeKey } from '../src/routes.js';

const addrs = new Map([['a-0', '127.0.0.1:8080'], ['a-1', '127.0.0.2:8080']]);

test('routes come from serving primaries with an address and a positive epoch', (t) => {
  const routes = desiredRoutes([
    { name: 'r1', primary: 'a-0', epoch: 2, serving: true },
    { name: 'r2', primary: 'a-1', epoch: 1, serving: false },
    { name: 'r3', primary: 'a-9', epoch: 1, serving: true },
    { name: 'r4', primary: 'a-1', serving: true },
    { name: 'r5', primary: 'a-1', epoch: 3, serving: true },
  ], addrs);
  t.deepEqual(routes, [
    { repo: 'r1', primaryHttpAddr: '127.0.0.1:8080', epoch: 2 },
    { repo: 'r5', primaryHttpAddr: '127.0.0.2:8080', epoch: 3 },
  ]);
});

test('an agent is sent only the routes it lacks: new, moved or at a new epoch', (t) => {
  const desired = [
    { repo: 'same', primaryHttpAddr: 'x:8080', epoch: 1 },
    { repo: 'moved', primaryHttpAddr: 'y:8080', epoch: 2 },
    { repo: 'new', primaryHttpAddr: 'x:8080', epoch: 1 },
  ];
  const sent = new Map([['same', routeKey(desired[0])], ['moved', 'x:8080@1'], ['gone', 'x:8080@1']]);
  t.deepEqual(routeDelta(desired, sent).map((r) => r.repo), ['moved', 'new']);
  t.deepEqual(routeDelta(desired, new Map()).length, 3, 'a fresh agent gets everything');
});

test('batches split without losing or reordering', (t) => {
  t.deepEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]]);
  t.deepEqual(batches([], 2), []);
});
