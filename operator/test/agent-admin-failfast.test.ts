// A hung agent must not hold the operator's workers: once the health checks mark it failed, the calls in flight to it
// fail at once and new ones fail without waiting for the deadline; Health still goes through, and an agent marked
// healthy again is called normally. A real agent process, SIGSTOPped.
import test from 'ava';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { AgentAdmin } from '../src/agents/agent-admin.js';
import { OperatorMetrics } from '../src/runtime/metrics.js';
import { freePort, spawnAgent, tempDir } from '../../agent/test/helpers/agent.js';

const TOKEN = 'failfast-test-token-0123456789';

test('calls to an agent marked failed end at once, in flight or new; Health still reaches it', async (t) => {
  const addr = `127.0.0.1:${await freePort()}`;
  const agent = await spawnAgent({ GOVC_GRPC_ADDR: addr, GOVC_TOKEN: TOKEN, GOVC_DATA_DIR: tempDir('govc-failfast-') });
  const admin = new AgentAdmin(new OperatorMetrics(), 5_000);
  try {
    t.is(await admin.repoState(addr, TOKEN, 'nothing'), null, 'answers while running');
    agent.child.kill('SIGSTOP');
    const started = Date.now();
    const inFlight = admin.repoState(addr, TOKEN, 'nothing');
    const single = admin.drain(addr, TOKEN);
    await new Promise((r) => setTimeout(r, 200));
    admin.markFailed(addr, true);
    const errs = await Promise.all([inFlight, single].map((p) => p.then(() => undefined, (e: ServiceError) => e)));
    t.true(Date.now() - started < 2_000, `ended after ${Date.now() - started} ms, not at the 5 s deadline`);
    for (const e of errs) t.is(e?.code, GrpcStatus.UNAVAILABLE);
    const next = Date.now();
    const err = await admin.fence(addr, TOKEN, 'nothing', 2).then(() => undefined, (e: ServiceError) => e);
    t.is(err?.code, GrpcStatus.UNAVAILABLE);
    t.true(Date.now() - next < 100, 'a new call fails without trying');
    // Health is how the monitor finds out it answers again: never short-circuited (here it times out: still hung).
    const health = await admin.health(addr, TOKEN, 300).then(() => undefined, (e: ServiceError) => e);
    t.is(health?.code, GrpcStatus.DEADLINE_EXCEEDED);
    agent.child.kill('SIGCONT');
    admin.markFailed(addr, false);
    t.is(await admin.repoState(addr, TOKEN, 'nothing'), null, 'called normally once healthy again');
  } finally {
    agent.child.kill('SIGCONT');
    admin.close();
    await agent.stop('SIGKILL');
  }
});
