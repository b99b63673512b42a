// Where a Repository should live, as a pure function of what the operator observed: the effective settings
// (spec, else the cluster's defaults), place() over all repositories of the cluster (so loads balance), and the
// replica set that results, with its epoch (the recorded one, or one more when anything about the set changed).
import type { GovcClusterResource, RepositoryResource, RepositoryResourceStatus } from '../crd/generated-types.js';
import { place } from '../placement.js';
import type { RepoDecision, RepoPlacement } from '../types.js';
import { type AgentView, placementAgents } from './agent-view.js';

export type Member = NonNullable<RepositoryResourceStatus['members']>[number];
export type WriteConcernName = 'async' | 'quorum' | 'all';

export interface EffectiveSettings {
  replicationFactor: number;
  writeConcern: WriteConcernName;
  defaultBranch: string;
}

export function effectiveSettings(repo: RepositoryResource, cluster: GovcClusterResource): EffectiveSettings {
  return {
    replicationFactor: repo.spec.replicationFactor ?? cluster.spec.defaults?.replicationFactor ?? 3,
    writeConcern: repo.spec.writeConcern ?? cluster.spec.defaults?.writeConcern ?? 'quorum',
    defaultBranch: repo.spec.defaultBranch || 'main',
  };
}

/** The placement a Repository's status records, or undefined when it was never placed. */
export function recordedPlacement(repo: RepositoryResource): RepoPlacement | undefined {
  const s = repo.status;
  if (!s || (!s.primary && (s.replicas ?? []).length === 0)) return undefined;
  return { primary: s.primary || null, replicas: [...(s.replicas ?? [])] };
}

/** place() over every live repository of the cluster; the decision for `repo`. */
export function decidePlacement(
  repo: RepositoryResource,
  cluster: GovcClusterResource,
  siblings: readonly RepositoryResource[],
  agents: readonly AgentView[],
): { decision: RepoDecision; warnings: string[] } {
  const all = new Map<string, RepositoryResource>();
  for (const r of siblings) if (!r.metadata.deletionTimestamp) all.set(r.metadata.name!, r);
  all.set(repo.metadata.name!, repo);
  const current: Record<string, RepoPlacement> = {};
  for (const [name, r] of all) {
    const p = recordedPlacement(r);
    if (p) current[name] = p;
  }
  const result = place({
    repositories: [...all.values()].map((r) => ({ name: r.metadata.name!, replicationFactor: effectiveSettings(r, cluster).replicationFactor })),
    agents: placementAgents(agents, cluster.spec.zoneSpreading !== false),
    current,
  });
  const decision = result.repositories.find((d) => d.repo === repo.metadata.name)!;
  return { decision, warnings: result.warnings };
}

/** The members of a replica set with the addresses the agents have now. */
export function membersOf(primary: string, replicas: readonly string[], agents: readonly AgentView[]): Member[] {
  const addr = new Map(agents.map((a) => [a.name, a.addr]));
  return [
    { agent: primary, address: addr.get(primary) ?? '', role: 'primary' as const },
    ...[...replicas].sort().map((r) => ({ agent: r, address: addr.get(r) ?? '', role: 'replica' as const })),
  ];
}

export function sameMembers(a: readonly Member[] | undefined, b: readonly Member[]): boolean {
  if (!a || a.length !== b.length) return false;
  const key = (m: Member) => `${m.agent}|${m.address}|${m.role}`;
  const left = new Set(a.map(key));
  return b.every((m) => left.has(key(m)));
}

/** The epoch of a replica set: unchanged when the set is, else one more than recorded (never reused). */
export function nextEpoch(status: RepositoryResourceStatus | undefined, members: readonly Member[]): number {
  const epoch = status?.epoch ?? 0;
  return epoch > 0 && sameMembers(status?.members, members) ? epoch : epoch + 1;
}

/** Whether the agents placement wants are all up with an address (a copy on an agent without one cannot be assigned). */
export function allAddressed(members: readonly Member[]): boolean {
  return members.every((m) => m.address !== '');
}
