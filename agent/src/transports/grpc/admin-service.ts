// The Admin service: checks each request's shape (INVALID_ARGUMENT), then hands it to the replication manager.
import { handleUnaryCall, sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import { invalid } from '../../errors.js';
import { repoNameProblem } from '../../store/repository-store.js';
import { parseAddr } from '../../config.js';
import { ReplicationManager } from '../../replication/manager.js';
import { Assignment, WriteConcern as Concern } from '../../replication/types.js';
import {
  AdminServer, AgentStats, AssignBatchRequest, AssignRequest, FenceRequest, HealthReply, RepoState, RepoStateBatch, RepoStatesRequest, Role,
  SetRoutesRequest, WriteConcern,
} from '../../../../proto/gen/govc/v1/admin.js';
import { RouteEntry } from '../../replication/routing-table.js';
import { grpcError } from './status.js';
import { asMessage } from './encoded-reply.js';
import { encodeStateBatch, repoStateReply, type StateResult } from './repo-state.js';

export interface AgentInfo {
  stats(): AgentStats;
  health(): HealthReply;
  /** Readiness goes false; REST keeps serving what is in flight. */
  drain(): void;
}

/** `fn` may answer later (an Assign answers once its assignment is durable). */
function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, cb: sendUnaryData<Res>) => {
    Promise.resolve().then(() => fn(call.request)).then((res) => cb(null, res), (e: unknown) => cb(grpcError(e), null));
  };
}

function checkRepo(name: string): void {
  const problem = repoNameProblem(name);
  if (problem) throw invalid('invalid_repo_name', `repo ${JSON.stringify(name)} ${problem}`);
}

function checkAddr(value: string, what: string): void {
  try {
    parseAddr(value, what);
  } catch {
    throw invalid('invalid_address', `${what} must be host:port, got ${JSON.stringify(value)}`);
  }
}

const CONCERNS: Partial<Record<WriteConcern, Concern>> = {
  [WriteConcern.WRITE_CONCERN_ASYNC]: 'async',
  [WriteConcern.WRITE_CONCERN_QUORUM]: 'quorum',
  [WriteConcern.WRITE_CONCERN_ALL]: 'all',
};

export function toAssignment(req: AssignRequest): Assignment {
  checkRepo(req.repo);
  if (req.role !== Role.ROLE_PRIMARY && req.role !== Role.ROLE_REPLICA) throw invalid('invalid_role', 'role must be ROLE_PRIMARY or ROLE_REPLICA');
  if (!Number.isSafeInteger(req.epoch) || req.epoch < 1) throw invalid('invalid_epoch', 'epoch must be a positive integer');
  checkAddr(req.primaryAddr, 'primary_addr');
  if (req.primaryHttpAddr !== '') checkAddr(req.primaryHttpAddr, 'primary_http_addr');
  for (const m of req.members) checkAddr(m, 'members[]');
  const writeConcern = CONCERNS[req.writeConcern] ?? (req.writeConcern === WriteConcern.WRITE_CONCERN_UNSPECIFIED ? 'async' : undefined);
  if (!writeConcern) throw invalid('invalid_write_concern', 'write_concern must be ASYNC, QUORUM or ALL');
  return {
    repo: req.repo, role: req.role === Role.ROLE_PRIMARY ? 'primary' : 'replica', epoch: req.epoch, primaryAddr: req.primaryAddr,
    members: req.members.includes(req.primaryAddr) ? req.members : [req.primaryAddr, ...req.members], writeConcern,
    ...(req.primaryHttpAddr !== '' ? { primaryHttpAddr: req.primaryHttpAddr } : {}),
  };
}

export function toRoutes(req: SetRoutesRequest): RouteEntry[] {
  return req.routes.map((r) => {
    checkRepo(r.repo);
    checkAddr(r.primaryHttpAddr, 'routes[].primary_http_addr');
    if (!Number.isSafeInteger(r.epoch) || r.epoch < 1) throw invalid('invalid_epoch', `routes[].epoch must be a positive integer (repo ${r.repo})`);
    return { repo: r.repo, primaryHttpAddr: r.primaryHttpAddr, epoch: r.epoch };
  });
}

/** One answer of a batch: what the single call would have answered, its error as a status code and message. */
async function attempt<S extends StateResult['state']>(fn: () => S | Promise<S>): Promise<Omit<StateResult, 'state'> & { state: S | undefined }> {
  try {
    return { code: 0, message: '', state: await fn() };
  } catch (e) {
    const err = grpcError(e);
    return { code: err.code ?? 13, message: err.details ?? '', state: undefined };
  }
}

export function adminService(manager: ReplicationManager, info: AgentInfo): AdminServer {
  const assign = (req: AssignRequest) => manager.assign(toAssignment(req), req.defaultBranch);
  // Encoded in a worker when there are many refs (repo-state.ts); the definition sends such bytes as they are (server.ts).
  const state = (repo: string) => {
    checkRepo(repo);
    return repoStateReply(manager, repo);
  };
  return {
    assign: unary(assign),
    // Every item is accepted (and queued for saving) before any is awaited: the batch costs one write + one fsync.
    assignBatch: unary(async (req: AssignBatchRequest) => ({ results: await Promise.all(req.assignments.map((a) => attempt(() => assign(a)))) })),
    getRepoStates: unary(async (req: RepoStatesRequest) => asMessage<RepoStateBatch>(encodeStateBatch(await Promise.all(req.repos.map((r) => attempt(() => state(r))))))),
    remove: unary(async (req: { repo: string; epoch: number }) => {
      checkRepo(req.repo);
      await manager.remove(req.repo, req.epoch);
      return {};
    }),
    getRepoState: unary(async (req: { repo: string }) => asMessage<RepoState>(await state(req.repo))),
    fence: unary(async (req: FenceRequest) => {
      checkRepo(req.repo);
      if (!Number.isSafeInteger(req.epoch) || req.epoch < 1) throw invalid('invalid_epoch', 'epoch must be a positive integer');
      return manager.fenceTo(req.repo, req.epoch);
    }),
    getStats: unary(() => info.stats()),
    health: unary(() => info.health()),
    setRoutes: unary((req: SetRoutesRequest) => manager.setRoutes(toRoutes(req), req.replace)),
    drain: unary(() => {
      info.drain();
      return { repositories: manager.drain() };
    }),
  };
}
