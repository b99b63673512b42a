// The autoscaling glue: spec → targets, agent reports → pressure (CPU as a rate between rounds), windows kept between rounds.
import test from 'ava';
import { Autoscaler, type AgentSample, agentLimits, scalingSpecOf } from '../src/controllers/autoscaler.js';
import type { GovcClusterResource } from '../src/crd/generated-types.js';

const MiB = 2 ** 20;

function cluster(agents: number, autoscaling: NonNullable<GovcClusterResource['spec']['autoscaling']>, extra: Partial<GovcClusterResource['spec']> = {}): GovcClusterResource {
  return {
    apiVersion: 'govc.io/v1alpha1',
    kind: 'GovcCluster',
    metadata: { name: 'c', namespace: 'ns', uid: 'u1' },
    spec: { agents, memoryLimit: '1Gi', resources: { limits: { cpu: '500m' } }, autoscaling, ...extra },
  } as GovcClusterResource;
}

const on = { enabled: true, minAgents: 3, maxAgents: 8, targets: { memoryUtilizationPercent: 70, cpuUtilizationPercent: 80 }, stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 60 } };

function samples(n: number, s: Partial<AgentSample> = {}): AgentSample[] {
  return Array.from({ length: n }, (_, i) => ({ name: `c-agent-${i}`, repositories: 10, memoryBytes: 400 * MiB, memoryLimitBytes: 0, cpuSeconds: 0, ...s }));
}

test('off unless enabled; percentages become fractions; limits come from resources or memoryLimit', (t) => {
  t.is(scalingSpecOf(cluster(3, { enabled: false })), undefined);
  t.is(new Autoscaler().decide(cluster(3, { enabled: false }), samples(3), 0), undefined);
  const spec = scalingSpecOf(cluster(3, on))!;
  t.deepEqual(spec.targets, { memoryUtilization: 0.7, cpuUtilization: 0.8 });
  t.is(spec.stabilization.scaleDownSeconds, 60);
  t.deepEqual(agentLimits(cluster(3, on)), { memoryBytes: 2 ** 30, cpuCores: 0.5 });
  t.deepEqual(agentLimits(cluster(3, on, { resources: { limits: { memory: '512Mi' }, requests: { cpu: '2' } } })), { memoryBytes: 512 * MiB, cpuCores: 2 });
});

test('memory past the target on one agent scales 3 agents out to at least 5', (t) => {
  const s = samples(3);
  s[1].memoryBytes = 1200 * MiB; // 117% of the 1 GiB limit against a 70% target
  const d = new Autoscaler().decide(cluster(3, on), s, 1_000)!;
  t.is(d.reason, 'ScaleUp');
  t.is(d.metric, 'memory');
  t.is(d.agent, 'c-agent-1');
  t.true(d.desired >= 5, String(d.desired));
  t.true(d.desired <= 8);
});

test('CPU is the rate between two reports; a restarted counter gives no rate', (t) => {
  const a = new Autoscaler();
  const c = cluster(3, { ...on, targets: { cpuUtilizationPercent: 80 } });
  t.is(a.decide(c, samples(3, { cpuSeconds: 100 }), 10_000)!.reason, 'NoMetrics');
  // 10 s later each agent used 9 CPU seconds: 0.9 cores of a 0.5-core limit, 225% of the 80% target.
  const busy = a.decide(c, samples(3, { cpuSeconds: 109 }), 20_000)!;
  t.is(busy.metric, 'cpu');
  t.true(Math.abs(busy.pressure - 0.9 / 0.5 / 0.8) < 1e-9);
  t.is(busy.desired, 7);
  t.is(a.decide(c, samples(3, { cpuSeconds: 1 }), 30_000)!.reason, 'NoMetrics');
});

test('scale-in waits for the whole window below half the target, then goes no lower than minAgents', (t) => {
  const a = new Autoscaler();
  const c = cluster(6, on);
  const idle = samples(6, { memoryBytes: 50 * MiB });
  const first = a.decide(c, idle, 0)!;
  t.is(first.desired, 6);
  t.is(first.reason, 'ScaleDownStabilizing');
  t.is(a.decide(c, idle, 30_000)!.desired, 6);
  const after = a.decide(c, idle, 61_000)!;
  t.is(after.reason, 'ScaleDown');
  t.is(after.desired, 3);
  // A busy report inside the window resets it.
  const b = new Autoscaler();
  b.decide(c, idle, 0);
  b.decide(c, samples(6), 30_000);
  t.is(b.decide(c, idle, 61_000)!.desired, 6);
});
