// The routing table behind Admin.SetRoutes: upserts, epochs that never go back, replace.
import test from 'ava';
import { RoutingTable } from '../../agent/src/replication/routing-table.js';

test('routes upsert, never move to a lower epoch, and replace forgets unlisted ones', (t) => {
  const rt = new RoutingTable();
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h1:1', epoch: 2 }, { repo: 'b', primaryHttpAddr: 'h2:1', epoch: 1 }], false), { applied: 2, ignored: 0, total: 2 });
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h9:1', epoch: 1 }], false), { applied: 0, ignored: 1, total: 2 });
  t.is(rt.get('a')?.primaryHttpAddr, 'h1:1');
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h1:1', epoch: 2 }], false), { applied: 0, ignored: 0, total: 2 }, 'same route: nothing to apply');
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h3:1', epoch: 2 }], false), { applied: 1, ignored: 0, total: 2 }, 'same epoch may correct the address');
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h4:1', epoch: 3 }], true), { applied: 1, ignored: 0, total: 1 });
  t.is(rt.get('b'), undefined);
  t.deepEqual(rt.set([{ repo: 'a', primaryHttpAddr: 'h0:1', epoch: 1 }], true), { applied: 0, ignored: 1, total: 1 }, 'replace keeps the epoch guard');
  t.is(rt.get('a')?.epoch, 3);
});
