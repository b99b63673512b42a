// The Admin API's guard rails: the shared token, request validation, epochs that only grow (also across restarts).
import test from 'ava';
import { credentials, Metadata, ServiceError, status } from '@grpc/grpc-js';
import { Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { ReplicationClient } from '../../proto/gen/govc/v1/replication.js';
import { freePort, spawnAgent } from './helpers/agent.js';
import { Admin, TOKEN, commit, grpcCode, startNode, stopAll } from './helpers/replication-cluster.js';


test.serial('a missing or wrong token is refused and changes nothing', async (t) => {
  const [n] = [await startNode('auth')];
  try {
    const req = { repo: 'sec', role: Role.ROLE_PRIMARY, epoch: 1, primaryAddr: n.grpc, members: [n.grpc] };
    for (const token of [null, 'wrong-token-0123456789', `${TOKEN}x`]) {
      const admin = new Admin(n.grpc, token);
      t.is(await grpcCode(admin.assign(req)), status.UNAUTHENTICATED);
      t.is(await grpcCode(admin.call('getStats', {})), status.UNAUTHENTICATED);
      admin.close();
    }
    t.is(await grpcCode(n.admin.state('sec')), status.NOT_FOUND);
    t.is((await n.proc.client.get('/repos/sec')).status, 404);
    // The replication service is guarded the same way.
    const repl = new ReplicationClient(n.grpc, credentials.createInsecure());
    const md = new Metadata();
    md.set('authorization', 'Bearer nope');
    const err = await new Promise<ServiceError | null>((r) => repl.checksum({ repo: 'sec', epoch: 1 }, md, (e) => r(e)));
    t.is(err?.code, status.UNAUTHENTICATED);
    const stream = repl.stream(md);
    const streamErr = await new Promise<ServiceError>((r) => stream.on('error', r));
    t.is(streamErr.code, status.UNAUTHENTICATED);
    repl.close();
    t.false(n.proc.output().includes(TOKEN), 'the token never appears in the log');
  } finally {
    await stopAll([n]);
  }
});

test.serial('malformed requests get INVALID_ARGUMENT; stale epochs are refused, also after a restart', async (t) => {
  const n = await startNode('val');
  try {
    const base = { repo: 'v', role: Role.ROLE_PRIMARY, epoch: 3, primaryAddr: n.grpc, members: [n.grpc], writeConcern: WriteConcern.WRITE_CONCERN_QUORUM };
    for (const bad of [
      { repo: '' }, { repo: '../x' }, { role: Role.ROLE_UNSPECIFIED }, { epoch: 0 }, { primaryAddr: 'nohost' },
      { members: ['a:b:c'] }, { writeConcern: 99 as WriteConcern }, { primaryAddr: '127.0.0.1:1' },
    ]) {
      t.is(await grpcCode(n.admin.assign({ ...base, ...bad })), status.INVALID_ARGUMENT, JSON.stringify(bad));
    }
    t.is(await grpcCode(n.admin.state('v')), status.NOT_FOUND);
    const s = await n.admin.assign(base);
    t.is(s.epoch, 3);
    t.is(s.role, Role.ROLE_PRIMARY);
    t.is(await grpcCode(n.admin.assign({ ...base, epoch: 2 })), status.FAILED_PRECONDITION);
    t.is(await grpcCode(n.admin.assign({ ...base, role: Role.ROLE_REPLICA, primaryAddr: '127.0.0.1:1' })), status.FAILED_PRECONDITION, 'a second primary in one epoch');
    t.is((await commit(n, 'v', 1)).status, 201, 'a single-member quorum is the primary itself');
    await n.proc.stop('SIGKILL');
    const again = await startNode('val', {}, n);
    t.is(await grpcCode(again.admin.assign({ ...base, epoch: 2 })), status.FAILED_PRECONDITION);
    const st = await again.admin.state('v');
    t.is(st.epoch, 3);
    t.is(st.appliedSeq, 1);
    t.is(st.lastEpoch, 3, 'changes carry the epoch they were made in');
    t.is(await grpcCode(again.admin.call('remove', { repo: 'v', epoch: 1 })), status.FAILED_PRECONDITION);
    t.is(await grpcCode(again.admin.call('remove', { repo: 'v', epoch: 3 })), status.OK);
    t.is(await grpcCode(again.admin.state('v')), status.NOT_FOUND);
    await stopAll([again]);
  } finally {
    await n.proc.stop('SIGKILL');
  }
});

test.serial('without a token the gRPC listener stays off and REST works', async (t) => {
  const grpcPort = await freePort();
  const a = await spawnAgent({ GOVC_DATA_DIR: '', GOVC_GRPC_ADDR: `127.0.0.1:${grpcPort}`, GOVC_TOKEN: '' });
  try {
    t.is((await a.client.post('/repos', { name: 'x' })).status, 201);
    const admin = new Admin(`127.0.0.1:${grpcPort}`);
    t.is(await grpcCode(admin.call('health', {})), status.UNAVAILABLE);
    admin.close();
    t.regex(a.output(), /no GOVC_TOKEN/);
  } finally {
    await a.stop('SIGKILL');
  }
});

test.serial('health, stats and drain', async (t) => {
  const n = await startNode('stats');
  try {
    await n.admin.assign({ repo: 's', role: Role.ROLE_PRIMARY, epoch: 1, primaryAddr: n.grpc, members: [n.grpc] });
    t.is((await commit(n, 's', 1)).status, 201);
    const h = await n.admin.call<object, { ready: boolean; advertiseAddr: string }>('health', {});
    t.true(h.ready);
    t.is(h.advertiseAddr, n.grpc);
    const st = await n.admin.call<object, { repositories: number; memoryBytes: number; requestRate: number }>('getStats', {});
    t.is(st.repositories, 1);
    t.true(st.memoryBytes > 0 && st.requestRate > 0);
    const d = await n.admin.call<object, { repositories: number }>('drain', {});
    t.is(d.repositories, 1);
    t.is((await fetch(`${n.proc.root}/readyz`)).status, 503);
    const w = await commit(n, 's', 2);
    t.is(w.status, 503);
    t.is(w.body.error.code, 'not_primary');
  } finally {
    await stopAll([n]);
  }
});
