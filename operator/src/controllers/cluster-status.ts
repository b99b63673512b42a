// A GovcCluster's status as a pure function of its agents, their reported stats and its repositories' statuses.
import type { GovcClusterResource, GovcClusterStatus, RepositoryResource } from '../crd/generated-types.js';
import { type Condition, clusterPhase } from '../conditions.js';
import type { AgentView } from './agent-view.js';
import { agentSelector } from './agent-resources.js';

export function clusterStatus(
  cluster: GovcClusterResource,
  agents: readonly AgentView[],
  memoryByAgent: ReadonlyMap<string, number>,
  repositories: readonly RepositoryResource[],
  now: number,
  /** Per agent, the repositories it reported quarantined (AgentStats.damaged_repos). */
  damagedByAgent: ReadonlyMap<string, readonly string[]> = new Map(),
): GovcClusterStatus {
  const copies = new Map<string, { repositories: number; primaries: number }>();
  const count = (agent: string, primary: boolean) => {
    const c = copies.get(agent) ?? { repositories: 0, primaries: 0 };
    c.repositories++;
    if (primary) c.primaries++;
    copies.set(agent, c);
  };
  const draining = new Set(agents.filter((a) => a.draining && !a.terminating).map((a) => a.name));
  let ready = 0;
  let degraded = 0;
  let under = 0;
  let moving = 0;
  let onDraining = 0;
  for (const r of repositories) {
    if (r.status?.primary) count(r.status.primary, true);
    for (const a of r.status?.replicas ?? []) count(a, false);
    if (r.status?.phase === 'Ready') ready++;
    const copiesOnDraining = [r.status?.primary, ...(r.status?.replicas ?? [])].filter((a) => a !== undefined && draining.has(a)).length;
    onDraining += copiesOnDraining;
    // Placing: a new replica set is recorded and its new copies are catching up.
    if (!r.status?.primary || r.status.phase === 'Placing' || copiesOnDraining > 0) moving++;
    const readyCond = r.status?.conditions?.find((c) => c.type === 'Ready');
    // No promotable copy: no primary at all, or one whose damaged copy nothing can replace.
    if (readyCond?.status === 'False' && ((readyCond.reason !== 'FailoverInProgress' && r.status?.primary === undefined) || readyCond.reason === 'CopyDamaged')) degraded++;
    if (r.status?.conditions?.some((c) => c.type === 'Replicated' && c.reason === 'UnderReplicated')) under++;
  }
  const readyAgents = agents.filter((a) => a.ready).length;
  const live = agents.filter((a) => !a.terminating);
  const { phase, conditions } = clusterPhase(
    (cluster.status?.conditions ?? []) as Condition[],
    {
      generation: cluster.metadata.generation ?? 0,
      desiredAgents: cluster.spec.agents,
      agents: live.length,
      readyAgents,
      failedAgents: live.filter((a) => !a.ready && a.ip !== '').length,
      repositories: repositories.length,
      readyRepositories: ready,
      degradedRepositories: degraded,
      underReplicatedRepositories: under,
      movingRepositories: moving,
      drainingAgents: [...draining],
      copiesOnDrainingAgents: onDraining,
    },
    now,
  );
  return {
    observedGeneration: cluster.metadata.generation ?? 0,
    phase: cluster.metadata.deletionTimestamp ? 'Deleting' : phase,
    agents: live.length,
    readyAgents,
    selector: agentSelector(cluster.metadata.name!),
    repositories: repositories.length,
    readyRepositories: ready,
    movingRepositories: moving,
    drainingAgents: [...draining],
    agentStatuses: agents.map((a) => ({
      pod: a.name,
      ...(a.ip ? { ip: a.ip } : {}),
      ...(a.zone ? { zone: a.zone } : {}),
      ready: a.ready,
      ...(a.draining ? { draining: true } : {}),
      repositories: copies.get(a.name)?.repositories ?? 0,
      primaries: copies.get(a.name)?.primaries ?? 0,
      ...(memoryByAgent.has(a.name) ? { memoryBytes: memoryByAgent.get(a.name) } : {}),
      ...(damagedByAgent.get(a.name)?.length ? { damagedRepositories: [...damagedByAgent.get(a.name)!] } : {}),
    })),
    conditions,
  };
}
