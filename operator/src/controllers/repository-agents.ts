// The Admin API side of a Repository's reconcile: bring every member's assignment to the recorded epoch (an agent
// that lost it, e.g. restarted empty, gets it again), remove copies, and ask survivors for failover reports.
import type { ReplicaReport } from '../failover.js';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { AgentAdmin, RepoState, Role, WIRE_CONCERN, isGrpcFailedPrecondition } from '../agents/agent-admin.js';
import type { AgentView } from './agent-view.js';
import type { Member, WriteConcernName } from './repository-plan.js';

export class EpochBehindError extends Error {
  constructor(readonly agentEpoch: number) {
    super(`an agent knows epoch ${agentEpoch}, newer than the recorded one`);
  }
}

export interface AssignmentTarget {
  repo: string;
  epoch: number;
  members: readonly Member[];
  writeConcern: WriteConcernName;
  defaultBranch: string;
}

export interface AssignmentOutcome {
  /** Agents (re)assigned by this call. */
  assigned: string[];
  /** Members whose agent is not ready: not assigned now. */
  unreachable: string[];
  /**
   * The primary's state as its Assign answered it (when it was assigned by this call), or as read when its copy is
   * damaged: a damaged copy is never assigned as primary (the caller fails it over), nor are replicas sent to it.
   */
  primaryState?: RepoState;
  /** What each member's agent said in this call (its state as read, or as its Assign answered), by agent. */
  states: Map<string, RepoState | null>;
}

/**
 * The epoch of the assignment an agent holds. `epoch` is the highest it knows, which Admin.Fence raises without
 * assigning anything; an agent that predates Fence leaves assignment_epoch 0 and its epoch is then the assignment's.
 */
export function heldEpoch(state: RepoState): number {
  return state.assignmentEpoch || state.epoch;
}

/**
 * Whether the primary's own report shows the whole replica set in place, so the members need no look of their own:
 * the primary serves `t.epoch` unfenced and every replica is connected and in sync with it (a replica streams from
 * the primary of the epoch it was assigned, so it holds that assignment), and every member's agent is ready.
 */
export function settled(state: RepoState | null, agents: readonly AgentView[], t: Pick<AssignmentTarget, 'epoch' | 'members'>): boolean {
  if (!state || state.damaged || state.epoch !== t.epoch || heldEpoch(state) !== t.epoch || state.role !== Role.ROLE_PRIMARY || state.fenced) return false;
  const byName = new Map(agents.map((a) => [a.name, a]));
  const primary = t.members.find((m) => m.role === 'primary');
  if (!primary || state.primaryAddr !== primary.address) return false;
  const inSync = new Set(state.members.filter((m) => m.connected && m.inSync).map((m) => m.addr));
  return t.members.every((m) => {
    const view = byName.get(m.agent);
    return view?.ready === true && view.addr === m.address && (m.role === 'primary' || inSync.has(m.address));
  });
}

/**
 * Assigns the primary first, then the replicas (in parallel); members already at the epoch with the right role are
 * left alone. `fresh`: the epoch was recorded just now, so no agent can hold it yet and the state check is skipped
 * (an agent ahead of it refuses the assignment, which is checked then).
 */
export async function ensureAssignments(
  admin: AgentAdmin, token: string, agents: readonly AgentView[], t: AssignmentTarget, fresh = false,
  /** The primary's state when the caller just asked for it (not asked again). */
  knownPrimaryState?: RepoState | null,
): Promise<AssignmentOutcome> {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const primary = t.members.find((m) => m.role === 'primary')!;
  const out: AssignmentOutcome = { assigned: [], unreachable: [], states: new Map() };
  const one = async (m: Member): Promise<void> => {
    const view = byName.get(m.agent);
    if (!view?.ready || view.addr !== m.address) {
      out.unreachable.push(m.agent);
      return;
    }
    const role = m.role === 'primary' ? Role.ROLE_PRIMARY : Role.ROLE_REPLICA;
    if (!fresh) {
      // A look at the primary that just failed (null) is made once more: assigning blind could make a damaged copy
      // (e.g. quarantined by a restart the caller's look missed) primary again.
      const state = m === primary && knownPrimaryState ? knownPrimaryState : await admin.repoState(m.address, token, t.repo);
      out.states.set(m.agent, state);
      if (state && state.epoch > t.epoch) throw new EpochBehindError(state.epoch);
      if (m === primary && state?.damaged) {
        out.primaryState = state;
        return;
      }
      // A fenced primary (e.g. restarted: it waits for this confirmation) is assigned again, and so is a copy a
      // failover fenced at this epoch: it knows the epoch but still holds the older assignment.
      if (state && heldEpoch(state) === t.epoch && state.role === role && state.primaryAddr === primary.address && !state.fenced) return;
    }
    let reply: RepoState;
    try {
      reply = await admin.assign(m.address, token, {
        repo: t.repo, role, epoch: t.epoch, primaryAddr: primary.address,
        members: t.members.map((x) => x.address), writeConcern: WIRE_CONCERN[t.writeConcern], defaultBranch: t.defaultBranch,
        // A replica forwards to the primary at once instead of answering not_primary until its stream's Hello.
        primaryHttpAddr: byName.get(primary.agent)?.httpAddr ?? '',
      });
    } catch (err) {
      if (isGrpcFailedPrecondition(err)) {
        const again = await admin.repoState(m.address, token, t.repo);
        if (again && again.epoch >= t.epoch) throw new EpochBehindError(again.epoch);
      }
      throw err;
    }
    if (m === primary) out.primaryState = reply;
    out.states.set(m.agent, reply);
    out.assigned.push(m.agent);
  };
  await one(primary);
  if (out.primaryState?.damaged) return out;
  await Promise.all(t.members.filter((m) => m !== primary).map(one));
  return out;
}

/** Removes the repository from agents that hold a copy no longer wanted; unreachable agents are skipped. */
export async function removeCopies(
  admin: AgentAdmin, token: string, agents: readonly AgentView[], repo: string, epoch: number, from: readonly Member[],
): Promise<string[]> {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const removed: string[] = [];
  for (const m of from) {
    const view = byName.get(m.agent);
    if (!view?.ready) continue;
    const state = await admin.repoState(view.addr, token, repo);
    if (!state) continue;
    await admin.remove(view.addr, token, repo, epoch);
    removed.push(m.agent);
  }
  return removed;
}

/**
 * Failover reports from the surviving replicas. With `fenceEpoch` (the epoch the failover will record) each is fenced
 * at it before its position is read: a fenced replica applies nothing more from the old primary, so once enough of
 * them are fenced a primary that only seemed dead (paused, partitioned) can get no further write acknowledged, and
 * the positions read cover every acknowledged write. Without it the positions are only read (a first look: fencing
 * for a failover that then cannot go ahead would cost the old primary its replicas if it comes back). Unreachable
 * replicas are reported as such; one that knows a newer epoch than `fenceEpoch` reports that epoch (the record is
 * behind: failover re-reads it).
 */
export async function replicaReports(
  admin: AgentAdmin, token: string, agents: readonly AgentView[], repo: string, candidates: readonly string[], fenceEpoch?: number,
): Promise<ReplicaReport[]> {
  const byName = new Map(agents.map((a) => [a.name, a]));
  return Promise.all(candidates.map(async (agent): Promise<ReplicaReport> => {
    const view = byName.get(agent);
    const unreachable = { agent, appliedSeq: 0, epoch: 0, inSync: false, reachable: false };
    if (!view?.ready) return unreachable;
    try {
      const s = fenceEpoch === undefined ? await admin.repoState(view.addr, token, repo) : await fenceOrState(admin, token, view.addr, repo, fenceEpoch);
      if (!s) return { ...unreachable, reachable: true };
      return reportOf(agent, s);
    } catch {
      return unreachable;
    }
  }));
}

/** A replica's failover report from its state: about the assignment it holds, not the epoch a fence raised. */
export function reportOf(agent: string, s: RepoState): ReplicaReport {
  return { agent, appliedSeq: s.appliedSeq, epoch: heldEpoch(s), inSync: s.inSync, reachable: true, ...(s.damaged ? { damaged: true } : {}) };
}

async function fenceOrState(admin: AgentAdmin, token: string, addr: string, repo: string, epoch: number): Promise<RepoState | null> {
  try {
    return await admin.fence(addr, token, repo, epoch);
  } catch (err) {
    const code = (err as ServiceError | null)?.code;
    if (code === GrpcStatus.FAILED_PRECONDITION) {
      // It knows a newer epoch: report that one, so the decision sees the record is behind.
      const s = await admin.repoState(addr, token, repo);
      return s && { ...s, assignmentEpoch: Math.max(s.epoch, s.assignmentEpoch) };
    }
    // An agent that predates Fence: read its position unfenced (the check of old).
    if (code === GrpcStatus.UNIMPLEMENTED) return admin.repoState(addr, token, repo);
    throw err;
  }
}

export async function primaryState(admin: AgentAdmin, token: string, primary: Member, repo: string): Promise<RepoState | null> {
  try {
    return await admin.repoState(primary.address, token, repo);
  } catch {
    return null;
  }
}
