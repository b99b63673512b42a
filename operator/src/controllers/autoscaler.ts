// Autoscaling glue: a GovcCluster's spec and its agents' reported stats in, scaling.ts's decision out. What it keeps
// between rounds (past recommendations for the stabilization windows, the last CPU sample of each agent) lives here,
// in memory, like the HorizontalPodAutoscaler's: after a leader change the windows start afresh, which can only delay a
// scale-in, never hasten one.
import type { GovcClusterResource } from '../crd/generated-types.js';
import { parseQuantity } from '../quantity.js';
import { type AgentStats, desiredAgents, type Recommendation, type ScalingDecision, type ScalingSpec } from '../scaling.js';

/** What one agent reported (Admin.GetStats), or nothing when it did not answer. */
export interface AgentSample {
  name: string;
  repositories: number;
  memoryBytes: number;
  /** 0 when the agent knows no limit: the cluster's limit stands in. */
  memoryLimitBytes: number;
  /** CPU seconds used by the agent process so far; utilisation is the rate between two rounds. */
  cpuSeconds: number;
}

/** The autoscaling spec in scaling.ts's terms, or undefined when autoscaling is off. */
export function scalingSpecOf(cluster: GovcClusterResource): ScalingSpec | undefined {
  const a = cluster.spec.autoscaling;
  if (!a?.enabled) return undefined;
  const pct = (p: number | undefined) => (p === undefined ? undefined : p / 100);
  const memoryUtilization = pct(a.targets?.memoryUtilizationPercent);
  const cpuUtilization = pct(a.targets?.cpuUtilizationPercent);
  const repositoriesPerAgent = a.targets?.repositoriesPerAgent;
  return {
    minAgents: a.minAgents ?? 1,
    maxAgents: a.maxAgents ?? 10,
    targets: {
      ...(memoryUtilization !== undefined ? { memoryUtilization } : {}),
      ...(cpuUtilization !== undefined ? { cpuUtilization } : {}),
      ...(repositoriesPerAgent !== undefined ? { repositoriesPerAgent } : {}),
    },
    stabilization: { scaleUpSeconds: a.stabilization?.scaleUpSeconds ?? 0, scaleDownSeconds: a.stabilization?.scaleDownSeconds ?? 300 },
  };
}

/** Per-agent limits from the cluster spec: memory in bytes (limit, else spec.memoryLimit), CPU in cores (limit, else request). */
export function agentLimits(cluster: GovcClusterResource): { memoryBytes?: number; cpuCores?: number } {
  const r = cluster.spec.resources;
  const memoryBytes = parseQuantity(r?.limits?.memory ?? cluster.spec.memoryLimit);
  const cpuCores = parseQuantity(r?.limits?.cpu ?? r?.requests?.cpu);
  return { ...(memoryBytes ? { memoryBytes } : {}), ...(cpuCores ? { cpuCores } : {}) };
}

interface ClusterMemory {
  history: Recommendation[];
  cpu: Map<string, { at: number; seconds: number }>;
}

export class Autoscaler {
  private readonly clusters = new Map<string, ClusterMemory>();

  /**
   * This round's decision for `cluster`, or undefined when its autoscaling is off. Agents that did not report are left
   * out (scaling.ts does not count them as idle); an agent's CPU counts from its second report on.
   */
  decide(cluster: GovcClusterResource, samples: readonly AgentSample[], now: number): ScalingDecision | undefined {
    const key = cluster.metadata.uid ?? `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    const spec = scalingSpecOf(cluster);
    if (!spec) {
      this.clusters.delete(key);
      return undefined;
    }
    let memory = this.clusters.get(key);
    if (!memory) this.clusters.set(key, (memory = { history: [], cpu: new Map() }));
    const limits = agentLimits(cluster);
    const stats: AgentStats[] = [];
    const seen = new Set<string>();
    for (const s of samples) {
      seen.add(s.name);
      const last = memory.cpu.get(s.name);
      memory.cpu.set(s.name, { at: now, seconds: s.cpuSeconds });
      // A restarted agent's counter starts again from 0: no rate this round.
      const cpu = last && now > last.at && s.cpuSeconds >= last.seconds ? (s.cpuSeconds - last.seconds) / ((now - last.at) / 1000) : undefined;
      stats.push({
        name: s.name,
        memoryBytes: s.memoryBytes,
        memoryLimit: s.memoryLimitBytes > 0 ? s.memoryLimitBytes : limits.memoryBytes ?? 0,
        cpu: cpu ?? 0,
        ...(cpu !== undefined && limits.cpuCores ? { cpuLimit: limits.cpuCores } : {}),
        repositories: s.repositories,
      });
    }
    for (const name of memory.cpu.keys()) if (!seen.has(name)) memory.cpu.delete(name);
    const decision = desiredAgents({ currentAgents: cluster.spec.agents, stats, spec, history: memory.history, now });
    memory.history = decision.history;
    return decision;
  }

  forget(uid: string): void {
    this.clusters.delete(uid);
  }
}
