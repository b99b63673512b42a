// Any agent, any repository: an agent outside a repository's replica set forwards its requests to the primary the
// operator routed it to; routes never move to an older epoch; forwarding and lag show in /metrics.
import test from 'ava';
import { ServiceError, status } from '@grpc/grpc-js';
import { Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { freePort } from './helpers/agent.js';
import { assignAll, commit, converged, httpAddr, metrics, sample, startCluster, stopAll, until } from './helpers/replication-cluster.js';

test.serial('a non-member forwards writes and reads along the published route; stale routes are ignored', async (t) => {
  const nodes = await startCluster(4);
  try {
    const [p, r1, r2, other] = nodes;
    const members = [p, r1, r2];
    await assignAll(members, 'rt', p, 2, WriteConcern.WRITE_CONCERN_QUORUM);
    await until('replicas connected', async () => (await p.admin.state('rt')).members.every((m) => m.inSync));
    // No route yet: the non-member knows nothing of the repository.
    t.is((await other.proc.client.get('/repos/rt/branches/main')).status, 404);
    t.is((await commit(other, 'rt', 0)).status, 404);

    t.deepEqual(await other.admin.setRoutes([{ repo: 'rt', primaryHttpAddr: httpAddr(p), epoch: 2 }]), { applied: 1, ignored: 0, total: 1 });
    const w = await commit(other, 'rt', 1);
    t.is(w.status, 201, JSON.stringify(w.body));
    t.is(w.headers.get('x-govc-served-by'), p.grpc);
    const seq = w.headers.get('x-govc-seq');
    t.truthy(seq);
    const read = await other.proc.client.get('/repos/rt/branches/main');
    t.is(read.status, 200);
    t.is(read.body.sha, w.body.sha);
    t.is(read.headers.get('x-govc-served-by'), p.grpc);
    t.false((await other.admin.state('rt').then(() => true, () => false)), 'the non-member holds no copy');

    // An older epoch never replaces a route (it points nowhere: had it been taken, requests would fail).
    t.deepEqual(await other.admin.setRoutes([{ repo: 'rt', primaryHttpAddr: '127.0.0.1:1', epoch: 1 }]), { applied: 0, ignored: 1, total: 1 });
    const w2 = await commit(other, 'rt', 2);
    t.is(w2.status, 201, JSON.stringify(w2.body));
    t.is(w2.headers.get('x-govc-served-by'), p.grpc);
    // A bad route is refused outright.
    const bad = await other.admin.setRoutes([{ repo: 'rt', primaryHttpAddr: 'nohost', epoch: 3 }]).catch((e: ServiceError) => e.code);
    t.is(bad, status.INVALID_ARGUMENT);

    // An unknown repository without a route stays 404; a route to this agent itself is not followed (no loop).
    t.is((await other.proc.client.get('/repos/nowhere/branches/main')).status, 404);
    await other.admin.setRoutes([{ repo: 'self', primaryHttpAddr: httpAddr(other), epoch: 1 }]);
    t.is((await other.proc.client.get('/repos/self/branches/main')).status, 404);

    // Forwarded requests are counted where they were forwarded; lag gauges exist per role.
    const om = await metrics(other);
    t.true(sample(om, 'govc_forwarded_requests_total{direction="write",outcome="ok"}') >= 2, om);
    t.true(sample(om, 'govc_forwarded_requests_total{direction="read",outcome="ok"}') >= 1);
    await converged(members, 'rt');
    const pm = await metrics(p);
    t.is(sample(pm, 'govc_replication_lag_seq{role="primary"}'), 0);
    t.true(sample(pm, 'govc_replication_window_bytes') > 0);
    t.is(sample(await metrics(r1), 'govc_replication_lag_seq{role="replica"}'), 0);
  } finally {
    await stopAll(nodes);
  }
});

test.serial('a replica forwards to the primary named in its assignment before any Hello; a malformed address is refused', async (t) => {
  const nodes = await startCluster(2);
  try {
    const [p, r] = nodes;
    // The primary holds the repository alone (async); the replica is told of it, but its stream goes to an address
    // where nothing answers, so no Hello ever names the primary: only the assignment's primary_http_addr can.
    await p.admin.assign({ repo: 'hx', epoch: 3, role: Role.ROLE_PRIMARY, primaryAddr: p.grpc, members: [p.grpc] });
    t.is((await commit(p, 'hx', 0)).status, 201);
    const dead = `127.0.0.1:${await freePort()}`;
    const replica = { repo: 'hx', epoch: 3, role: Role.ROLE_REPLICA, primaryAddr: dead, members: [dead, r.grpc] };
    const bad = await r.admin.assign({ ...replica, primaryHttpAddr: 'nohost' }).catch((e: ServiceError) => e.code);
    t.is(bad, status.INVALID_ARGUMENT, 'a malformed primary_http_addr is refused');
    await r.admin.assign({ ...replica, primaryHttpAddr: httpAddr(p) });
    const started = Date.now();
    const w = await commit(r, 'hx', 1);
    t.is(w.status, 201, JSON.stringify(w.body));
    t.is(w.headers.get('x-govc-served-by'), p.grpc);
    t.true(Date.now() - started < 900, `forwarded at once, not after waiting for a Hello (${Date.now() - started} ms)`);

    // Without it the replica cannot know where to send a write: not_primary, as before.
    await r.admin.assign({ ...replica, repo: 'hy' });
    const refused = await commit(r, 'hy', 1);
    t.is(refused.status, 503);
    t.is(refused.body.error.code, 'not_primary');
  } finally {
    await stopAll(nodes);
  }
});
