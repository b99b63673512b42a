// The operator's side of the agents' gRPC Admin service: one client per agent address, the shared token in the
// metadata, a deadline on every call, results counted in the metrics. NOT_FOUND from GetRepoState (the agent does
// not hold the repository, e.g. it restarted empty) comes back as null.
import { Metadata, credentials, status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  AdminClient,
  AgentStats,
  AssignRequest,
  HealthReply,
  RepoState,
  Role,
  SetRoutesReply,
  SetRoutesRequest,
  WriteConcern,
} from '../../../proto/gen/govc/v1/admin.js';
import type { OperatorMetrics } from '../runtime/metrics.js';

export { Role, WriteConcern };
export type { AgentStats, RepoState };

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

  constructor(
    private readonly metrics: OperatorMetrics,
    private readonly timeoutMs = 5_000,
  ) {}

  assign(addr: string, token: string, req: AssignRequest): Promise<RepoState> {
    return this.call(addr, token, 'assign', req);
  }

  remove(addr: string, token: string, repo: string, epoch: number): Promise<unknown> {
    return this.call(addr, token, 'remove', { repo, epoch });
  }

  async repoState(addr: string, token: string, repo: string): Promise<RepoState | null> {
    try {
      return await this.call<{ repo: string }, RepoState>(addr, token, 'getRepoState', { repo });
    } catch (err) {
      if (isGrpcNotFound(err)) return null;
      throw err;
    }
  }

  setRoutes(addr: string, token: string, req: SetRoutesRequest): Promise<SetRoutesReply> {
    return this.call(addr, token, 'setRoutes', req);
  }

  stats(addr: string, token: string): Promise<AgentStats> {
    return this.call(addr, token, 'getStats', {});
  }

  health(addr: string, token: string): Promise<HealthReply> {
    return this.call(addr, token, 'health', {});
  }

  /** Drops clients of addresses no longer in use (pods gone or moved). */
  retain(addrs: Iterable<string>): void {
    const keep = new Set(addrs);
    for (const [addr, client] of this.clients) {
      if (!keep.has(addr)) {
        client.close();
        this.clients.delete(addr);
      }
    }
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  private client(addr: string): AdminClient {
    let c = this.clients.get(addr);
    if (!c) {
      c = new AdminClient(addr, credentials.createInsecure());
      this.clients.set(addr, c);
    }
    return c;
  }

  private call<Req, Res>(addr: string, token: string, method: string, req: Req): Promise<Res> {
    const client = this.client(addr);
    const md = new Metadata();
    md.set('authorization', `Bearer ${token}`);
    // The generated client's unary methods share one (request, metadata, options, callback) overload.
    const fn = (client as unknown as Record<string, Unary<Req, Res>>)[method];
    return new Promise((resolve, reject) => {
      fn.call(client, req, md, { deadline: Date.now() + this.timeoutMs }, (err, value) => {
        this.metrics.agentCalls.inc({ method, result: err ? GrpcStatus[err.code] ?? 'error' : 'OK' });
        if (err) reject(err);
        else resolve(value);
      });
    });
  }
}
