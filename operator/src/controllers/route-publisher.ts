// Publishes every repository's route to every ready agent of its cluster (Admin.SetRoutes), batched per agent:
// run from the cluster reconcile (which every Repository change enqueues), it sends each agent only what it lacks
// (routes.ts). What was sent is remembered per agent incarnation, so a restarted or new agent gets the full table.
import type { Logger } from 'winston';
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { RepositoryResource } from '../crd/generated-types.js';
import { findCondition, type Condition } from '../conditions.js';
import { batches, desiredRoutes, routeDelta, routeKey, type RoutableRepository } from '../routes.js';
import type { AgentView } from './agent-view.js';

const BATCH = 2_000;

/**
 * A Ready repository is routed to its primary; so is one whose primary's damaged copy nothing can replace (Ready False,
 * CopyDamaged): that primary answers 503 repository_damaged with the reason, which agents without a copy then forward
 * instead of answering 404 as if the repository did not exist.
 */
export function routable(r: RepositoryResource): RoutableRepository {
  const ready = findCondition((r.status?.conditions ?? []) as Condition[], 'Ready');
  return {
    name: r.metadata.name!,
    ...(r.status?.primary ? { primary: r.status.primary } : {}),
    ...(r.status?.epoch ? { epoch: r.status.epoch } : {}),
    serving: !r.metadata.deletionTimestamp && (ready?.status === 'True' || ready?.reason === 'CopyDamaged'),
  };
}

export class RoutePublisher {
  /** Per agent incarnation (see AgentView): repository → route key last acknowledged. */
  private readonly sent = new Map<string, Map<string, string>>();

  constructor(private readonly admin: AgentAdmin, private readonly log: Logger) {}

  /** Brings every ready agent's routes up to date; false when some agent could not be reached (retry soon). */
  async publish(clusterKey: string, agents: readonly AgentView[], repos: readonly RepositoryResource[], token: string): Promise<boolean> {
    const httpAddrOf = new Map(agents.filter((a) => a.ready).map((a) => [a.name, a.httpAddr]));
    const desired = desiredRoutes(repos.map(routable), httpAddrOf);
    const live = new Set(agents.map((a) => `${clusterKey}|${a.incarnation}`));
    for (const k of this.sent.keys()) if (k.startsWith(`${clusterKey}|`) && !live.has(k)) this.sent.delete(k);
    const results = await Promise.all(agents.filter((a) => a.ready).map(async (a) => {
      const key = `${clusterKey}|${a.incarnation}`;
      const sent = this.sent.get(key) ?? new Map<string, string>();
      const delta = routeDelta(desired, sent);
      try {
        for (const routes of batches(delta, BATCH)) {
          await this.admin.setRoutes(a.addr, token, { routes, replace: false });
          for (const r of routes) sent.set(r.repo, routeKey(r));
        }
        this.sent.set(key, sent);
        if (delta.length > 0) this.log.debug('routes published', { agent: a.name, routes: delta.length });
        return true;
      } catch (err) {
        this.log.warn('routes not published', { agent: a.name, error: String(err) });
        this.sent.set(key, sent);
        return false;
      }
    }));
    return results.every(Boolean);
  }
}
