// A cluster's agents as the reconcilers see them: from the agent Pods and their Nodes' zones to the AgentInfo
// place() reads, with the addresses the Admin API and the REST clients use.
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import type { AgentInfo } from '../types.js';
import { GRPC_PORT, HTTP_PORT, ZONE_LABEL } from './agent-resources.js';

export interface AgentView {
  name: string;
  ip: string;
  zone?: string;
  ready: boolean;
  /** gRPC address (what the agent advertises and replica sets name). */
  addr: string;
  httpAddr: string;
  terminating: boolean;
  /** Marked for removal (scale-in): gets no copies; placement moves everything it holds elsewhere. */
  draining?: boolean;
  /** Pod uid and container restarts: changes when the agent process starts afresh (its routes are then lost). */
  incarnation: string;
}

/** Set on an agent Pod the operator is draining before it deletes it. */
export const DRAINING_ANNOTATION = 'govc.io/draining';

export function podReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** `failed`: agents the operator's own health checks found failed (agent-health.ts): not ready whatever the Pod says. */
export function agentViews(
  pods: readonly V1Pod[], zoneOfNode: (node: string) => string | undefined, failed: ReadonlySet<string> = new Set(),
): AgentView[] {
  return pods
    .map((p): AgentView => {
      const ip = p.status?.podIP ?? '';
      const zone = p.spec?.nodeName ? zoneOfNode(p.spec.nodeName) : undefined;
      const name = p.metadata?.name ?? '';
      return {
        name,
        ip,
        ...(zone ? { zone } : {}),
        ready: podReady(p) && ip !== '' && !p.metadata?.deletionTimestamp && !failed.has(name),
        addr: ip ? `${ip}:${GRPC_PORT}` : '',
        httpAddr: ip ? `${ip}:${HTTP_PORT}` : '',
        terminating: Boolean(p.metadata?.deletionTimestamp),
        ...(p.metadata?.annotations?.[DRAINING_ANNOTATION] === 'true' ? { draining: true } : {}),
        incarnation: `${p.metadata?.uid ?? ''}/${ip}/${(p.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0)}`,
      };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function zoneOf(nodes: readonly V1Node[]): (node: string) => string | undefined {
  const zones = new Map(nodes.map((n) => [n.metadata?.name ?? '', n.metadata?.labels?.[ZONE_LABEL]]));
  return (node) => zones.get(node);
}

/** What place() needs; without zone spreading every agent is its own failure domain. */
export function placementAgents(views: readonly AgentView[], zoneSpreading: boolean): AgentInfo[] {
  return views.map((v) => ({
    name: v.name, ready: v.ready, ...(v.draining ? { draining: true } : {}), ...(zoneSpreading && v.zone ? { zone: v.zone } : {}),
  }));
}
