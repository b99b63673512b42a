// The operator's own health checks of every agent (gRPC Admin.Health), one call per agent every spec.healthCheck
// interval: a hung (SIGSTOPped) agent answers nothing, and Pod readiness would notice it only after the kubelet's
// probe period × threshold. An answer counts as a success and a quick error (connection refused: the process is gone)
// as a failure, both stamped with the time the call started; a call that merely times out records nothing, so a
// hung agent shows as silence and detectFailedAgents (failover.ts) fails it once it has been silent for
// threshold × interval. A busy agent that answers slowly but within that window is not failed. When the set of
// failed agents of a cluster changes, `onChange` re-queues what depends on it. Memory only: after an operator restart
// every agent starts afresh (its observation start counts as its last sign of life).
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { GovcClusterResource } from '../crd/generated-types.js';
import { type AgentHealth, type FailurePolicy, type HealthProbe, detectFailedAgents, trustedFailures } from '../failover.js';
import { GRPC_PORT } from './agent-resources.js';
import { podReady } from './agent-view.js';

export const DEFAULT_HEALTH_INTERVAL_MS = 250;
export const DEFAULT_HEALTH_THRESHOLD = 4;

export interface HealthSources {
  cluster(namespace: string, name: string): GovcClusterResource | undefined;
  pods(namespace: string, cluster: string): V1Pod[];
  token(cluster: GovcClusterResource): Promise<string | undefined>;
}

interface AgentRecord {
  /** Pod uid: a new Pod starts with a clean history (a restarted container keeps it: it must answer to count). */
  uid: string;
  probes: HealthProbe[];
}

interface ClusterLoop {
  timer: NodeJS.Timeout;
  intervalMs: number;
  agents: Map<string, AgentRecord>;
  failed: ReadonlySet<string>;
  /** When each failed agent was found failed. */
  failedSince: Map<string, number>;
  lastTick: number;
  /** Silence before this is not the agents' doing (this process itself stalled): no verdict changes until then. */
  judgeFrom: number;
  /** Every agent failed at once in the last look (trustedFailures): held back, logged once. */
  suspectSelf?: boolean;
}

export function healthPolicy(c: GovcClusterResource | undefined): FailurePolicy {
  return {
    intervalMs: c?.spec.healthCheck?.intervalMilliseconds ?? DEFAULT_HEALTH_INTERVAL_MS,
    failureThreshold: c?.spec.healthCheck?.failureThreshold ?? DEFAULT_HEALTH_THRESHOLD,
  };
}

export class AgentHealthMonitor {
  private readonly loops = new Map<string, ClusterLoop>();
  private static readonly NONE: ReadonlySet<string> = new Set();

  constructor(
    private readonly sources: HealthSources,
    private readonly admin: AgentAdmin,
    private readonly onChange: (namespace: string, cluster: string, failed: ReadonlySet<string>) => void,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Agents of the cluster that failed (health checks or Pod gone/terminated); never those only suspect. */
  failed(namespace: string, cluster: string): ReadonlySet<string> {
    return this.loops.get(`${namespace}/${cluster}`)?.failed ?? AgentHealthMonitor.NONE;
  }

  /** How long the agent has been failed by its health checks without a break (0 when it is not failed). */
  failedFor(namespace: string, cluster: string, agent: string): number {
    const since = this.loops.get(`${namespace}/${cluster}`)?.failedSince.get(agent);
    return since === undefined ? 0 : this.now() - since;
  }

  /** Starts, re-times or stops the checks of a cluster (on every GovcCluster event). */
  track(namespace: string, name: string, deleted: boolean): void {
    const key = `${namespace}/${name}`;
    const loop = this.loops.get(key);
    const { intervalMs } = healthPolicy(this.sources.cluster(namespace, name));
    if (loop && (deleted || loop.intervalMs !== intervalMs)) {
      clearInterval(loop.timer);
      this.loops.delete(key);
    }
    if (deleted || (loop && loop.intervalMs === intervalMs)) return;
    const next: ClusterLoop = {
      intervalMs,
      agents: loop?.agents ?? new Map(),
      failed: loop?.failed ?? AgentHealthMonitor.NONE,
      failedSince: loop?.failedSince ?? new Map(),
      lastTick: this.now(),
      judgeFrom: 0,
      timer: setInterval(() => void this.tick(namespace, name).catch((err: unknown) => this.log.warn('health checks failed to run', { cluster: key, error: String(err) })), intervalMs),
    };
    next.timer.unref();
    this.loops.set(key, next);
  }

  stop(): void {
    for (const l of this.loops.values()) clearInterval(l.timer);
    this.loops.clear();
  }

  private async tick(namespace: string, name: string): Promise<void> {
    const key = `${namespace}/${name}`;
    const loop = this.loops.get(key);
    const cluster = this.sources.cluster(namespace, name);
    if (!loop || !cluster) return;
    const token = await this.sources.token(cluster);
    if (!token) return;
    const policy = healthPolicy(cluster);
    const window = policy.intervalMs * policy.failureThreshold;
    const now = this.now();
    // Timers this late mean the operator itself was starved (CPU, GC): answers may sit unread in its sockets.
    if (now - loop.lastTick > 2 * policy.intervalMs) loop.judgeFrom = now + window;
    loop.lastTick = now;
    const pods = this.sources.pods(namespace, name).filter((p) => p.metadata?.name);
    const seen = new Set<string>();
    for (const p of pods) {
      const agent = p.metadata!.name!;
      seen.add(agent);
      const uid = p.metadata?.uid ?? '';
      let rec = loop.agents.get(agent);
      if (!rec || rec.uid !== uid) {
        rec = { uid, probes: [{ at: now, ok: true }] };
        loop.agents.set(agent, rec);
      }
      const ip = p.status?.podIP;
      if (!ip || p.metadata?.deletionTimestamp) continue;
      const record = rec;
      // An answer later than the window could not change the verdict any more.
      this.admin.health(`${ip}:${GRPC_PORT}`, token, window).then(
        () => this.record(record, now, true, policy.failureThreshold),
        (err: ServiceError) => {
          if (err.code !== GrpcStatus.DEADLINE_EXCEEDED) this.record(record, now, false, policy.failureThreshold);
        },
      );
    }
    for (const agent of [...loop.agents.keys()]) if (!seen.has(agent)) loop.agents.delete(agent);
    if (now >= loop.judgeFrom) this.evaluate(namespace, name, loop, pods, policy, now);
  }

  private record(rec: AgentRecord, at: number, ok: boolean, threshold: number): void {
    rec.probes.push({ at, ok });
    rec.probes.sort((a, b) => a.at - b.at);
    // detectFailedAgents reads the trailing run of failures and the last result: the last `threshold` suffice.
    if (rec.probes.length > threshold + 1) rec.probes.splice(0, rec.probes.length - threshold - 1);
  }

  private evaluate(namespace: string, name: string, loop: ClusterLoop, pods: V1Pod[], policy: FailurePolicy, now: number): void {
    const inputs: AgentHealth[] = pods.map((p) => ({
      name: p.metadata!.name!,
      pod: {
        phase: (p.status?.phase ?? 'Pending') as NonNullable<AgentHealth['pod']>['phase'],
        ready: podReady(p),
        ...(p.metadata?.deletionTimestamp ? { deleting: true } : {}),
      },
      probes: loop.agents.get(p.metadata!.name!)?.probes ?? [],
    }));
    const verdicts = detectFailedAgents(inputs, now, policy);
    const seen = new Set(verdicts.failed.filter((f) => f.reason === 'HealthCheckFailures' || f.reason === 'HealthCheckStale').map((f) => f.agent));
    const recent = new Set([...loop.failedSince].filter(([, at]) => now - at < policy.intervalMs * policy.failureThreshold).map(([a]) => a));
    const failed = trustedFailures(loop.failed, seen, inputs.length, recent);
    if (failed !== seen && !loop.suspectSelf) this.log.warn('every agent failed its health checks at once: suspecting the operator\'s side, not acting on it', { cluster: `${namespace}/${name}`, agents: [...seen].sort() });
    loop.suspectSelf = failed !== seen;
    if (sameSet(failed, loop.failed)) return;
    for (const f of verdicts.failed) if (failed.has(f.agent) && !loop.failed.has(f.agent)) this.log.warn('agent failed its health checks', { cluster: `${namespace}/${name}`, agent: f.agent, reason: f.reason, message: f.message });
    for (const a of loop.failed) if (!failed.has(a)) this.log.info('agent passes its health checks again', { cluster: `${namespace}/${name}`, agent: a });
    loop.failed = failed;
    // Calls to a failed agent fail at once from now on (and those in flight): no reconcile waits for a hung one.
    for (const p of pods) {
      const ip = p.status?.podIP;
      if (ip) this.admin.markFailed(`${ip}:${GRPC_PORT}`, failed.has(p.metadata!.name!));
    }
    for (const a of failed) if (!loop.failedSince.has(a)) loop.failedSince.set(a, now);
    for (const a of [...loop.failedSince.keys()]) if (!failed.has(a)) loop.failedSince.delete(a);
    this.onChange(namespace, name, failed);
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Long enough for the kubelet's liveness probe to restart a hung process first (the agent Pods' 5 s × 6). */
export const REPLACE_UNRESPONSIVE_AFTER_MS = 60_000;

/**
 * The agent Pod to replace because its agent stopped answering: failed by the health checks for
 * REPLACE_UNRESPONSIVE_AFTER_MS and not Ready by its kubelet either (both must agree, so a problem on the operator's
 * side never deletes healthy agents). One at a time, and none while another agent Pod is being deleted.
 */
export function unresponsivePod(pods: readonly V1Pod[], failedForMs: (agent: string) => number): V1Pod | undefined {
  if (pods.some((p) => p.metadata?.deletionTimestamp)) return undefined;
  return pods.find((p) => !podReady(p) && failedForMs(p.metadata?.name ?? '') >= REPLACE_UNRESPONSIVE_AFTER_MS);
}
