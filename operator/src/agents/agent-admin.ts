// The operator's side of the agents' gRPC Admin service: one client per agent address, the shared token in the
// metadata, a deadline on every call, results counted in the metrics. NOT_FOUND from GetRepoState (the agent does
// not hold the repository, e.g. it restarted empty) comes back as null. Assign and GetRepoState, made per
// repository by many reconciles at once, travel in AssignBatch / GetRepoStates calls (call-batcher.ts); an agent
// without those RPCs (UNIMPLEMENTED, an older version) gets single calls.
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  AdminClient,
  AgentStats,
  AssignRequest,
  HealthReply,
  RepoState,
  type RepoStateBatch,
  Role,
  SetRoutesReply,
  SetRoutesRequest,
  WriteConcern,
} from '../../../proto/gen/govc/v1/admin.js';
import type { OperatorMetrics } from '../runtime/metrics.js';
import { type BatchResult, CallBatcher } from './call-batcher.js';

export { Role, WriteConcern };
export type { AgentStats, RepoState };

/** Items per batch call: bounds how long one call holds the agent (each Assign persists its assignment). One batch
 * per agent in flight: calls made meanwhile coalesce into the next. */
const BATCH = 64;

export type WriteConcernName = 'async' | 'quorum' | 'all';

export const WIRE_CONCERN: Record<WriteConcernName, WriteConcern> = {
  async: WriteConcern.WRITE_CONCERN_ASYNC,
  quorum: WriteConcern.WRITE_CONCERN_QUORUM,
  all: WriteConcern.WRITE_CONCERN_ALL,
};

export const isGrpcNotFound = (err: unknown): boolean => (err as ServiceError | null)?.code === GrpcStatus.NOT_FOUND;
export const isGrpcFailedPrecondition = (err: unknown): boolean =>
  (err as ServiceError | null)?.code === GrpcStatus.FAILED_PRECONDITION;

type Unary<Req, Res> = (req: Req, md: Metadata, opts: { deadline: number }, cb: (e: ServiceError | null, v: Res) => void) => void;

export class AgentAdmin {
  private readonly clients = new Map<string, AdminClient>();
  /** Per agent address and token: the batchers of Assign and GetRepoState. */
  private readonly batchers = new Map<string, { assign: CallBatcher<AssignRequest, RepoState>; state: CallBatcher<string, RepoState> }>();
  /** Addresses whose agent answered UNIMPLEMENTED to a batch RPC. */
  private readonly unbatched = new Set<string>();
  /** Agents the health checks failed (hung or gone): their calls fail at once instead of holding a worker until the
   * deadline (a reconcile waiting 5 s on a SIGSTOPped agent delays the failovers queued behind it). */
  private readonly failed = new Set<string>();
  /** Per address, the calls in flight: rejected at once when the agent is marked failed. */
  private readonly pending = new Map<string, Set<(err: Error) => void>>();

  constructor(
    private readonly metrics: OperatorMetrics,
    private readonly timeoutMs = 5_000,
  ) {}

  assign(addr: string, token: string, req: AssignRequest): Promise<RepoState> {
    if (this.unbatched.has(addr)) return this.call(addr, token, 'assign', req);
    return this.batcher(addr, token).assign.call(req);
  }

  remove(addr: string, token: string, repo: string, epoch: number): Promise<unknown> {
    return this.call(addr, token, 'remove', { repo, epoch });
  }

  async repoState(addr: string, token: string, repo: string): Promise<RepoState | null> {
    try {
      if (this.unbatched.has(addr)) return await this.call<{ repo: string }, RepoState>(addr, token, 'getRepoState', { repo });
      return await this.batcher(addr, token).state.call(repo);
    } catch (err) {
      if (isGrpcNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * Raises the epoch the agent knows for `repo` (Admin.Fence): it stops following or acting as primary of older
   * epochs, and answers its state, final for that epoch. FAILED_PRECONDITION when it knows a newer epoch already;
   * NOT_FOUND (null here) when it does not hold the repository.
   */
  async fence(addr: string, token: string, repo: string, epoch: number): Promise<RepoState | null> {
    try {
      return await this.call<{ repo: string; epoch: number }, RepoState>(addr, token, 'fence', { repo, epoch });
    } catch (err) {
      if (isGrpcNotFound(err)) return null;
      throw err;
    }
  }

  setRoutes(addr: string, token: string, req: SetRoutesRequest): Promise<SetRoutesReply> {
    return this.call(addr, token, 'setRoutes', req);
  }

  /** Steps the agent down as primary of everything and stops its REST service (readiness goes false): before removal. */
  drain(addr: string, token: string): Promise<unknown> {
    return this.call(addr, token, 'drain', {});
  }

  stats(addr: string, token: string): Promise<AgentStats> {
    return this.call(addr, token, 'getStats', {});
  }

  /** `timeoutMs`: health checks use a deadline of their own, short enough to notice a hung agent. */
  health(addr: string, token: string, timeoutMs = this.timeoutMs): Promise<HealthReply> {
    return this.call(addr, token, 'health', {}, timeoutMs);
  }

  /**
   * The health checks found the agent at `addr` failed (true) or answering again (false). While failed, every call to
   * it but Health fails at once with UNAVAILABLE, and so do the calls in flight.
   */
  markFailed(addr: string, failed: boolean): void {
    if (!failed) {
      this.failed.delete(addr);
      return;
    }
    this.failed.add(addr);
    const err = unavailable(addr);
    for (const reject of this.pending.get(addr) ?? []) reject(err);
    this.pending.delete(addr);
  }

  /** Drops clients of addresses no longer in use (pods gone or moved). */
  retain(addrs: Iterable<string>): void {
    const keep = new Set(addrs);
    for (const [addr, client] of this.clients) {
      if (!keep.has(addr)) {
        client.close();
        this.clients.delete(addr);
        this.unbatched.delete(addr);
        this.failed.delete(addr);
        this.pending.delete(addr);
        for (const k of this.batchers.keys()) if (k.startsWith(`${addr}|`)) this.batchers.delete(k);
      }
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
    this.batchers.clear();
  }

  private batcher(addr: string, token: string) {
    const key = `${addr}|${token}`;
    let b = this.batchers.get(key);
    if (!b) {
      b = {
        assign: new CallBatcher<AssignRequest, RepoState>((items) => this.batchCall(addr, token, 'assignBatch', { assignments: items }, 'assign', items,
          (req) => this.call(addr, token, 'assign', req)), BATCH, 1),
        state: new CallBatcher<string, RepoState>((items) => this.batchCall(addr, token, 'getRepoStates', { repos: items }, 'getRepoState', items,
          (repo) => this.call(addr, token, 'getRepoState', { repo })), BATCH, 1),
      };
      this.batchers.set(key, b);
    }
    return b;
  }

  /** One batch RPC; its per-item answers as results (errors shaped like a single call's ServiceError). */
  private async batchCall<I>(
    addr: string, token: string, method: string, req: object, single: string, items: I[], fallback: (item: I) => Promise<RepoState>,
  ): Promise<BatchResult<RepoState>[]> {
    let reply: RepoStateBatch;
    try {
      reply = await this.call<object, RepoStateBatch>(addr, token, method, req);
    } catch (err) {
      if ((err as ServiceError | null)?.code !== GrpcStatus.UNIMPLEMENTED) throw err;
      this.unbatched.add(addr);
      return Promise.all(items.map((i) => fallback(i).then(
        (value): BatchResult<RepoState> => ({ ok: true, value }),
        (error: Error): BatchResult<RepoState> => ({ ok: false, error }),
      )));
    }
    return reply.results.map((r): BatchResult<RepoState> => {
      this.metrics.agentCalls.inc({ method: single, result: GrpcStatus[r.code] ?? 'error' });
      if (r.code === GrpcStatus.OK && r.state) return { ok: true, value: r.state };
      return { ok: false, error: Object.assign(new Error(`${r.code} ${GrpcStatus[r.code] ?? ''}: ${r.message}`), { code: r.code, details: r.message }) };
    });
  }

  private client(addr: string): AdminClient {
    let c = this.clients.get(addr);
    if (!c) {
      // A restarted agent must be reachable again within a second, not after grpc-js's default backoff (up to 120 s).
      c = new AdminClient(addr, credentials.createInsecure(), { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1_000 });
      this.clients.set(addr, c);
    }
    return c;
  }

  private call<Req, Res>(addr: string, token: string, method: string, req: Req, timeoutMs = this.timeoutMs): Promise<Res> {
    const client = this.client(addr);
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    // The generated client's unary methods share one (request, metadata, options, callback) overload.
    const fn = (client as unknown as Record<string, Unary<Req, Res>>)[method];
    const health = method === 'health';
    if (!health && this.failed.has(addr)) {
      this.metrics.agentCalls.inc({ method, result: 'UNAVAILABLE' });
      return Promise.reject(unavailable(addr));
    }
    return new Promise((resolve, reject) => {
      let waiting = this.pending.get(addr);
      if (!health) {
        if (!waiting) this.pending.set(addr, (waiting = new Set()));
        waiting.add(reject);
      }
      fn.call(client, req, md, { deadline: Date.now() + timeoutMs }, (err, value) => {
        waiting?.delete(reject);
        this.metrics.agentCalls.inc({ method, result: err ? GrpcStatus[err.code] ?? 'error' : 'OK' });
        if (err) reject(err);
        else resolve(value);
      });
    });
  }
}

function unavailable(addr: string): ServiceError {
  return Object.assign(new Error(`14 UNAVAILABLE: the agent at ${addr} failed its health checks`), {
    code: GrpcStatus.UNAVAILABLE, details: `the agent at ${addr} failed its health checks`, metadata: new Metadata(),
  });
}
