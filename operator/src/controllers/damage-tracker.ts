// The Repository reconciler's memory of damaged copies between looks: per repository, the primary whose copy was
// last seen damaged (the next looks fail it over, or report why nothing can replace it, until its agent says the copy
// is healthy again or it is no longer the recorded primary), and which long-damaged replicas were already reported.
// Memory only: a restarted operator learns it again from the agents on its first look.
import type { AgentAdmin } from '../agents/agent-admin.js';
import type { AgentView } from './agent-view.js';
import { primaryState } from './repository-agents.js';

export interface DamagedPrimary {
  agent: string;
  damage: string;
  /** When the agent last said so (ms since the epoch). */
  checkedAt: number;
}

/** How old a look at a damaged primary may be before the next reconcile asks its agent again. */
const RECHECK_MS = 500;

export class DamageTracker {
  private readonly primaries = new Map<string, DamagedPrimary>();
  /** `<key>|<agent>|<since>` of damaged replicas already reported as not healing. */
  private readonly stalled = new Set<string>();

  /** The primary's copy was seen damaged; true when this is news (not known damaged already). */
  primaryDamaged(key: string, agent: string, damage: string, now: number): boolean {
    const known = this.primaries.get(key);
    this.primaries.set(key, { agent, damage: damage || known?.damage || 'damaged', checkedAt: now });
    return known?.agent !== agent;
  }

  /**
   * The recorded primary's damage as its agent says it now (asked again when the last look is older than RECHECK_MS;
   * an agent that does not answer keeps the last word), or undefined: not known damaged, healed (forgotten), or no
   * longer the primary.
   */
  async current(
    key: string, repo: string, recordedPrimary: string | undefined, agents: readonly AgentView[], admin: AgentAdmin, token: string, now: number,
  ): Promise<DamagedPrimary | undefined> {
    const known = this.primaries.get(key);
    if (!known) return undefined;
    if (known.agent !== recordedPrimary) {
      this.primaries.delete(key);
      return undefined;
    }
    const view = agents.find((a) => a.name === known.agent);
    if (now - known.checkedAt < RECHECK_MS || !view?.ready || !view.addr) return known;
    const state = await primaryState(admin, token, { agent: view.name, address: view.addr, role: 'primary' }, repo);
    if (state === null) return known;
    if (!state.damaged) {
      this.primaries.delete(key);
      return undefined;
    }
    known.damage = state.damage || known.damage;
    known.checkedAt = now;
    return known;
  }

  forget(key: string): void {
    this.primaries.delete(key);
    for (const s of this.stalled) if (s.startsWith(`${key}|`)) this.stalled.delete(s);
  }

  /** Damaged replicas of `key` older than `olderThanMs` not reported yet (each reported once per episode). */
  newlyStalled(key: string, damaged: ReadonlyArray<{ agent: string; role: string; since: string }>, now: number, olderThanMs: number): string[] {
    const out: string[] = [];
    for (const d of damaged) {
      const id = `${key}|${d.agent}|${d.since}`;
      if (d.role !== 'replica' || now - Date.parse(d.since) < olderThanMs || this.stalled.has(id)) continue;
      this.stalled.add(id);
      out.push(d.agent);
    }
    return out;
  }
}
