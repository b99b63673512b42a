// Autoscaling: out on memory/CPU/repository pressure, in only after a whole window below half the target, within
// [min, max]; and the agent to drain never holds the only in-sync copy of a replicated repository.
import test from 'ava';
import { AgentStats, chooseAgentToRemove, desiredAgents, naturalCompare, Recommendation, ScalingInput, ScalingSpec } from '../src/scaling.js';

const GiB = 1024 ** 3;
const spec: ScalingSpec = {
  minAgents: 2,
  maxAgents: 10,
  targets: { memoryUtilization: 0.7, cpuUtilization: 0.8, repositoriesPerAgent: 1000 },
  stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 300 },
};

function stats(count: number, s: Partial<AgentStats> = {}): AgentStats[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `agent-${i}`,
    memoryBytes: 2 * GiB,
    memoryLimit: 4 * GiB,
    cpu: 1,
    cpuLimit: 2,
    repositories: 600,
    ...s,
  }));
}

function input(current: number, agentStats: AgentStats[], history: Recommendation[] = [], now = 1_000_000): ScalingInput {
  return { currentAgents: current, stats: agentStats, spec, history, now };
}

test('steady inside the dead band between half the target and the target', (t) => {
  const d = desiredAgents(input(4, stats(4)));
  t.is(d.desired, 4);
  t.is(d.reason, 'Steady');
  t.is(d.metric, 'memory');
  t.true(Math.abs(d.pressure - 0.5 / 0.7) < 1e-9);
});

test('memory pressure on one agent scales out enough to bring it under the target', (t) => {
  const s = stats(4);
  s[2].memoryBytes = 3.5 * GiB; // 87.5% against a 70% target
  const d = desiredAgents(input(4, s));
  t.is(d.desired, 5); // ceil(4 × 0.875 / 0.7) = 5
  t.is(d.reason, 'ScaleUp');
  t.is(d.agent, 'agent-2');
  t.true(4 * (3.5 / 4) / d.desired <= 0.7 + 1e-9, 'the busiest agent lands at or under target');
});

test('CPU and repository pressure scale out too, each by its own ratio', (t) => {
  const cpu = stats(4);
  cpu[0].cpu = 1.9; // 95% against 80%
  t.is(desiredAgents(input(4, cpu)).desired, 5);
  t.is(desiredAgents(input(4, cpu)).metric, 'cpu');
  const repos = stats(4, { repositories: 2500 }); // 2.5 × target
  const d = desiredAgents(input(4, repos));
  t.is(d.desired, 10);
  t.is(d.metric, 'repositories');
});

test('never above maxAgents, and says so', (t) => {
  const d = desiredAgents(input(8, stats(8, { memoryBytes: 4 * GiB })));
  t.is(d.desired, 10);
  t.true(d.message.includes('capped at maxAgents 10'), d.message);
});

test('scale in only after the whole down window below half the target', (t) => {
  const idle = stats(6, { memoryBytes: 0.4 * GiB, cpu: 0.1, repositories: 100 }); // 14% of the memory target
  // First sight of low load: no history covering the window, so hold.
  const first = desiredAgents(input(6, idle, [], 1_000_000));
  t.is(first.desired, 6);
  t.is(first.reason, 'ScaleDownStabilizing');
  t.true(first.recommendation < 6);
  // Low for the whole window: scale in to the highest recommendation seen in it.
  const low: Recommendation[] = [
    { at: 1_000_000, agents: 2 }, // at the window's start: proves coverage, outside the window itself
    { at: 1_050_000, agents: 3 },
    { at: 1_200_000, agents: 2 },
  ];
  const later = desiredAgents(input(6, idle, low, 1_300_000));
  t.is(later.desired, 3);
  t.is(later.reason, 'ScaleDown');
  // One busy moment inside the window holds the count.
  const blip = [...low, { at: 1_250_000, agents: 6 }];
  t.is(desiredAgents(input(6, idle, blip, 1_300_000)).desired, 6);
});

test('below half the target but within the dead band after scale-in targets: no oscillation', (t) => {
  // 45% of target on 2 agents: removing one would put it at 90%, so the recommendation stays at 2.
  const d = desiredAgents(input(2, stats(2, { memoryBytes: 0.45 * 0.7 * 4 * GiB, cpu: 0, repositories: 0 })));
  t.is(d.recommendation, 2);
});

test('never below minAgents; a count outside [min, max] is corrected at once', (t) => {
  const idle = stats(3, { memoryBytes: 0, cpu: 0, repositories: 0 });
  const history = [{ at: 0, agents: 1 }];
  t.is(desiredAgents(input(3, idle, history, 1_000_000)).desired, 2);
  const below = desiredAgents(input(1, stats(1), [], 1_000_000));
  t.is(below.desired, 2);
  t.is(below.reason, 'BelowMinimum');
  t.is(desiredAgents(input(12, stats(12), [], 1_000_000)).desired, 10);
});

test('scale-up stabilisation takes the lowest recommendation of the up window', (t) => {
  const busy = stats(4, { memoryBytes: 3.5 * GiB });
  const slow = { ...spec, stabilization: { scaleUpSeconds: 60, scaleDownSeconds: 300 } };
  const history = [{ at: 970_000, agents: 4 }];
  const held = desiredAgents({ currentAgents: 4, stats: busy, spec: slow, history, now: 1_000_000 });
  t.is(held.desired, 4);
  t.is(held.reason, 'ScaleUpStabilizing');
  const after = desiredAgents({ currentAgents: 4, stats: busy, spec: slow, history, now: 1_031_000 });
  t.is(after.desired, 5);
});

test('history is pruned to the windows but keeps the record proving the down window is covered', (t) => {
  const history = [
    { at: 100_000, agents: 9 },
    { at: 500_000, agents: 8 },
    { at: 900_000, agents: 7 },
  ];
  const d = desiredAgents(input(6, stats(6), history, 1_000_000));
  t.deepEqual(d.history, [
    { at: 500_000, agents: 8 },
    { at: 900_000, agents: 7 },
    { at: 1_000_000, agents: 6 },
  ]);
});

test('no metrics: hold the current count', (t) => {
  const d = desiredAgents(input(4, []));
  t.is(d.desired, 4);
  t.is(d.reason, 'NoMetrics');
});

test('deterministic: agent order does not change the decision', (t) => {
  const s = stats(5, { memoryBytes: 3.5 * GiB });
  t.deepEqual(desiredAgents(input(5, s)), desiredAgents(input(5, [...s].reverse())));
});

const agents = ['agent-1', 'agent-2', 'agent-3', 'agent-10'].map((name) => ({ name, ready: true }));

test('chooseAgentToRemove never picks the only in-sync holder of a replicated repository', (t) => {
  const choice = chooseAgentToRemove({
    agents,
    repositories: [
      // agent-10 holds the only in-sync copy: its replicas lag.
      { name: 'lagging', replicationFactor: 3, primary: 'agent-10', replicas: ['agent-1', 'agent-2'], inSyncReplicas: [] },
      { name: 'fine', replicationFactor: 2, primary: 'agent-1', replicas: ['agent-2'], inSyncReplicas: ['agent-2'] },
    ],
  });
  t.not(choice.agent, 'agent-10');
  t.deepEqual(choice.protected, [{ agent: 'agent-10', repo: 'lagging' }]);
  t.is(choice.agent, 'agent-3', 'no copies at all');
  // Pending failover (no primary) with one in-sync replica: that replica is protected.
  const pending = chooseAgentToRemove({
    agents: agents.slice(0, 2),
    repositories: [{ name: 'x', replicationFactor: 2, primary: null, replicas: ['agent-1', 'agent-2'], inSyncReplicas: ['agent-2'] }],
  });
  t.is(pending.agent, 'agent-1');
});

test('chooseAgentToRemove prefers fewest primaries, then fewest copies, then the highest name', (t) => {
  const repositories = [
    { name: 'a', replicationFactor: 2, primary: 'agent-1', replicas: ['agent-2'], inSyncReplicas: ['agent-2'] },
    { name: 'b', replicationFactor: 2, primary: 'agent-3', replicas: ['agent-2'], inSyncReplicas: ['agent-2'] },
    { name: 'c', replicationFactor: 2, primary: 'agent-10', replicas: ['agent-1'], inSyncReplicas: ['agent-1'] },
  ];
  t.is(chooseAgentToRemove({ agents, repositories }).agent, 'agent-2');
  const noPrimaryOn2 = repositories.slice(0, 2).map((r) => ({ ...r, replicas: ['agent-10'], inSyncReplicas: ['agent-10'] }));
  // agent-2 holds nothing now; between equal agents the highest natural name goes first.
  const equal = chooseAgentToRemove({ agents: agents.filter((a) => a.name !== 'agent-2'), repositories: [] });
  t.is(equal.agent, 'agent-10');
  t.is(chooseAgentToRemove({ agents, repositories: noPrimaryOn2 }).agent, 'agent-2');
  t.is(chooseAgentToRemove({ agents: [...agents].reverse(), repositories: noPrimaryOn2 }).agent, 'agent-2');
});

test('chooseAgentToRemove continues a drain first, then takes an agent that is not ready', (t) => {
  const repositories = [{ name: 'a', replicationFactor: 2, primary: 'agent-3', replicas: ['agent-2'], inSyncReplicas: ['agent-2'] }];
  const draining = agents.map((a) => (a.name === 'agent-3' ? { ...a, draining: true } : a));
  t.deepEqual(chooseAgentToRemove({ agents: draining, repositories }).reason, 'ContinueDrain');
  const down = agents.map((a) => (a.name === 'agent-2' ? { ...a, ready: false } : a));
  t.is(chooseAgentToRemove({ agents: down, repositories }).agent, 'agent-2');
});

test('chooseAgentToRemove: single-copy repositories protect nothing; all protected gives null', (t) => {
  const single = chooseAgentToRemove({
    agents: agents.slice(0, 1),
    repositories: [{ name: 's', replicationFactor: 1, primary: 'agent-1', replicas: [], inSyncReplicas: [] }],
  });
  t.is(single.agent, 'agent-1');
  const stuck = chooseAgentToRemove({
    agents: agents.slice(0, 1),
    repositories: [{ name: 'r', replicationFactor: 2, primary: 'agent-1', replicas: ['gone'], inSyncReplicas: [] }],
  });
  t.is(stuck.agent, null);
  t.is(stuck.reason, 'AllProtected');
});

test('naturalCompare orders digit runs as numbers', (t) => {
  t.deepEqual(['agent-10', 'agent-9', 'agent-1', 'b', 'agent-09'].sort(naturalCompare), ['agent-1', 'agent-09', 'agent-9', 'agent-10', 'b']);
});
