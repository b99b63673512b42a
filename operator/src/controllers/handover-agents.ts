// The Admin API side of a planned hand-over (handover.ts decides): fence the old primary at the epoch the hand-over
// records (it stops accepting writes at once and its applied seq is final), read where the recorded replicas are
// (unfenced: they may still be applying the old primary's last changes), and remember when the fence happened so a
// wait for a replica to catch up stays short across reconciles.
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { RepositoryResourceStatus } from '../crd/generated-types.js';
import { canHandOver, type HandoverPlan, planHandover } from '../handover.js';
import type { RepoDecision } from '../types.js';
import type { AgentView } from './agent-view.js';
import { replicaReports } from './repository-agents.js';

/** How long a replica may take to apply the old primary's final seq before the failover choice decides. */
export const HANDOVER_WAIT_MS = 300;
/** How soon a waiting hand-over looks again. */
export const HANDOVER_POLL_MS = 50;

export class Handovers {
  /** `<key>@<epoch>` → when the old primary was first fenced for that hand-over. */
  private readonly fencedAt = new Map<string, number>();

  async plan(
    admin: AgentAdmin, token: string, key: string, agents: readonly AgentView[], status: RepositoryResourceStatus, decision: RepoDecision,
    writeConcern: 'async' | 'quorum' | 'all',
  ): Promise<HandoverPlan> {
    const epoch = status.epoch ?? 0;
    const oldPrimary = decision.previousPrimary ?? status.primary ?? '';
    const byName = new Map(agents.map((a) => [a.name, a]));
    const id = `${key}@${epoch}`;
    if (!canHandOver(status, agents)) {
      return { decision: 'failover', repo: decision.repo, reason: 'NoCandidate', message: `no recorded in-sync replica of ${decision.repo} on an agent that stays` };
    }
    const finalSeq = await fence(admin, token, byName.get(oldPrimary), decision.repo, epoch + 1);
    const now = Date.now();
    if (!this.fencedAt.has(id)) this.fencedAt.set(id, now);
    const plan = planHandover({
      repo: decision.repo,
      epoch,
      oldPrimary,
      finalSeq,
      replicas: status.replicas ?? [],
      reports: await replicaReports(admin, token, agents, decision.repo, status.replicas ?? []),
      keep: decision.replicas,
      excluded: agents.filter((a) => !a.ready || a.draining).map((a) => a.name),
      waitedMs: now - this.fencedAt.get(id)!,
      maxWaitMs: HANDOVER_WAIT_MS,
      writeConcern,
    });
    if (plan.decision !== 'wait') this.fencedAt.delete(id);
    return plan;
  }
}

/** The old primary's applied seq once fenced at `epoch`; null when it cannot be fenced (gone, or a newer epoch exists). */
async function fence(admin: AgentAdmin, token: string, view: AgentView | undefined, repo: string, epoch: number): Promise<number | null> {
  if (!view?.addr) return null;
  try {
    const s = await admin.fence(view.addr, token, repo, epoch);
    return s ? s.appliedSeq : null;
  } catch {
    // Not answering, predating Fence, or knowing a newer epoch: the failover path deals with each.
    return null;
  }
}
