// AssignBatch and GetRepoStates: each item answered in order exactly as its single call would be, one bad item
// failing only itself; the token guards the batch like any call.
import test from 'ava';
import { ServiceError, status } from '@grpc/grpc-js';
import { AssignRequest, RepoStateBatch, Role, WriteConcern } from '../../proto/gen/govc/v1/admin.js';
import { Admin, startNode, stopAll } from './helpers/replication-cluster.js';

test.serial('a batch of assignments is applied item by item, errors answered in place', async (t) => {
  const n = await startNode('batch');
  try {
    const base: AssignRequest = {
      repo: '', role: Role.ROLE_PRIMARY, epoch: 2, primaryAddr: n.grpc, members: [n.grpc], writeConcern: WriteConcern.WRITE_CONCERN_QUORUM, defaultBranch: '', primaryHttpAddr: '',
    };
    await n.admin.assign({ ...base, repo: 'known', epoch: 5 });
    const reply = await n.admin.call<object, RepoStateBatch>('assignBatch', {
      assignments: [
        { ...base, repo: 'a' },
        { ...base, repo: '../bad' },
        { ...base, repo: 'known', epoch: 4 },
        { ...base, repo: 'b', epoch: 7 },
        { ...base, repo: 'a' },
      ],
    });
    t.deepEqual(reply.results.map((r) => r.code), [status.OK, status.INVALID_ARGUMENT, status.FAILED_PRECONDITION, status.OK, status.OK]);
    t.is(reply.results[0].state?.repo, 'a');
    t.is(reply.results[0].state?.role, Role.ROLE_PRIMARY);
    t.is(reply.results[3].state?.epoch, 7);
    t.regex(reply.results[2].message, /stale_epoch/);
    t.is(reply.results[4].state?.epoch, 2, 'the same assignment again is accepted (idempotent)');

    const states = await n.admin.call<object, RepoStateBatch>('getRepoStates', { repos: ['b', 'missing', 'known', ''] });
    t.deepEqual(states.results.map((r) => r.code), [status.OK, status.NOT_FOUND, status.OK, status.INVALID_ARGUMENT]);
    t.is(states.results[0].state?.epoch, 7);
    t.is(states.results[2].state?.epoch, 5, 'the refused lower epoch changed nothing');
    t.is((await n.admin.state('a')).epoch, 2, 'what the batch applied is what a single call sees');

    const wrong = new Admin(n.grpc, 'wrong-token-0123456789');
    const err = await wrong.call('assignBatch', { assignments: [{ ...base, repo: 'c' }] }).catch((e: ServiceError) => e);
    wrong.close();
    t.is((err as ServiceError).code, status.UNAUTHENTICATED);
    const c = await n.admin.call<object, RepoStateBatch>('getRepoStates', { repos: ['c'] });
    t.is(c.results[0].code, status.NOT_FOUND, 'a refused batch changes nothing');
  } finally {
    await stopAll([n]);
  }
});
