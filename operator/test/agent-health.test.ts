// The operator's health checks against real agent processes: a hung (SIGSTOPped) agent counts as failed within the
// 1.5 s the defaults promise although its Pod would still look Ready, wakes up healthy again, and a killed one fails
// the same way; every change of the failed set is reported once. Pods are plain objects (no API server needed).
import test from 'ava';
import type { V1Pod } from '@kubernetes/client-node';
import { AgentAdmin } from '../src/agents/agent-admin.js';
import {
  AgentHealthMonitor, DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_THRESHOLD, REPLACE_UNRESPONSIVE_AFTER_MS, unresponsivePod,
} from '../src/controllers/agent-health.js';
import { agentViews } from '../src/controllers/agent-view.js';
import type { GovcClusterResource } from '../src/crd/generated-types.js';
import { makeLogger } from '../src/runtime/logger.js';
import { OperatorMetrics } from '../src/runtime/metrics.js';
import { spawnAgent, tempDir } from '../../agent/test/helpers/agent.js';

const TOKEN = 'health-test-token-0123456789';

function readyPod(name: string, ip: string): V1Pod {
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { 'govc.io/cluster': 'c' } },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [] },
  } as unknown as V1Pod;
}

const cluster = { metadata: { name: 'c', namespace: 'ns' }, spec: { agents: 1 } } as unknown as GovcClusterResource;

async function until(what: string, fn: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!fn()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

test.serial('a SIGSTOPped agent fails its checks within 1.5 s, passes again when woken; a killed one fails too', async (t) => {
  // A loopback address of its own, so the agent's gRPC port is the one the operator calls (9090), as in a Pod.
  const ip = `127.91.${Math.floor(Math.random() * 250) + 1}.${Math.floor(Math.random() * 250) + 1}`;
  const agent = await spawnAgent({ GOVC_GRPC_ADDR: `${ip}:9090`, GOVC_TOKEN: TOKEN, GOVC_DATA_DIR: tempDir('govc-health-') });
  const admin = new AgentAdmin(new OperatorMetrics());
  const changes: string[][] = [];
  const pods = [readyPod('a-0', ip), readyPod('a-1', '127.91.0.0')];
  const monitor = new AgentHealthMonitor(
    { cluster: () => cluster, pods: () => pods, token: async () => TOKEN },
    admin,
    (_ns, _c, failed) => changes.push([...failed].sort()),
    makeLogger('error'),
  );
  try {
    monitor.track('ns', 'c', false);
    // a-1 has no agent at all (nothing listens there): failed; a-0 answers.
    await until('a-1 failed', () => monitor.failed('ns', 'c').has('a-1'), 5_000);
    await new Promise((r) => setTimeout(r, DEFAULT_HEALTH_INTERVAL_MS * (DEFAULT_HEALTH_THRESHOLD + 2)));
    t.deepEqual([...monitor.failed('ns', 'c')], ['a-1']);
    t.deepEqual(changes, [['a-1']]);
    t.deepEqual(agentViews(pods, () => undefined, monitor.failed('ns', 'c')).map((v) => [v.name, v.ready]), [['a-0', true], ['a-1', false]]);

    agent.child.kill('SIGSTOP');
    const detected = await until('the hung agent failed', () => monitor.failed('ns', 'c').has('a-0'), 5_000);
    t.log(`hung agent detected after ${detected} ms`);
    t.true(detected <= 1_500, `detected after ${detected} ms`);
    t.deepEqual(changes.at(-1), ['a-0', 'a-1']);

    agent.child.kill('SIGCONT');
    const back = await until('the woken agent healthy', () => !monitor.failed('ns', 'c').has('a-0'), 5_000);
    t.log(`woken agent healthy after ${back} ms`);
    t.deepEqual(changes.at(-1), ['a-1']);

    agent.child.kill('SIGKILL');
    const killed = await until('the killed agent failed', () => monitor.failed('ns', 'c').has('a-0'), 5_000);
    t.true(killed <= 1_500, `detected after ${killed} ms`);

    // The Pod going away drops its history: no verdict without a Pod (its absence is the Pod status's business).
    pods.splice(0, 1);
    await until('a-0 forgotten', () => !monitor.failed('ns', 'c').has('a-0'), 5_000);
    monitor.track('ns', 'c', true);
    t.is(monitor.failed('ns', 'c').size, 0);
  } finally {
    monitor.stop();
    admin.close();
    agent.child.kill('SIGCONT');
    await agent.stop('SIGKILL');
  }
});

test('unresponsivePod: replaced only when the checks failed it long enough and its kubelet agrees, one at a time', (t) => {
  const notReady = (name: string): V1Pod => {
    const p = readyPod(name, '127.0.0.9');
    p.status!.conditions = [{ type: 'Ready', status: 'False' }];
    return p;
  };
  const long = REPLACE_UNRESPONSIVE_AFTER_MS;
  const failedFor = (ms: Record<string, number>) => (agent: string) => ms[agent] ?? 0;
  t.is(unresponsivePod([readyPod('a', '127.0.0.8'), notReady('b')], failedFor({ b: long }))?.metadata?.name, 'b');
  // Not long enough, or still Ready per its kubelet (the operator alone may be the one that cannot reach it).
  t.is(unresponsivePod([notReady('b')], failedFor({ b: long - 1 })), undefined);
  t.is(unresponsivePod([readyPod('a', '127.0.0.8')], failedFor({ a: long * 10 })), undefined);
  // Another agent Pod is already going away: wait for it.
  const deleting = readyPod('c', '127.0.0.7');
  deleting.metadata!.deletionTimestamp = new Date();
  t.is(unresponsivePod([notReady('b'), deleting], failedFor({ b: long })), undefined);
});
