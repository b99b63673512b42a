// Scale-in as a sequence the reconciler repeats until done: agents at or above the desired count are marked draining
// first (they get no new copies, so placement moves every copy elsewhere, make-before-break, and each primary they hold
// is handed over while they still serve: a planned hand-over, handover.ts), told to step down (Admin.Drain: readiness
// goes false) once they lead nothing, and a Pod is deleted only once no Repository names its agent any more. An agent
// that still holds a copy is never deleted, so the only in-sync copy of a repository can never go with it. Agents are
// removed highest ordinal first, like a StatefulSet, so the remaining ordinals stay contiguous.
import { naturalCompare } from './scaling.js';

export interface ScaleInAgent {
  name: string;
  ordinal: number;
  draining: boolean;
}

export interface ScaleInRepository {
  primary: string | null;
  replicas: readonly string[];
}

export interface ScaleInStep {
  /** Agents to start draining now. */
  drain: string[];
  /**
   * Draining agents (including those starting now) that lead no repository: Admin.Drain now. Not before: a primary
   * that stepped down all at once would leave each of its repositories unwritable until the operator gets to it.
   */
  stepDown: string[];
  /** Drained agents that hold nothing: delete their Pods. */
  remove: string[];
  /** Draining agents still holding copies, with how many. */
  waiting: { agent: string; copies: number }[];
}

export function scaleInStep(desired: number, agents: readonly ScaleInAgent[], repositories: readonly ScaleInRepository[]): ScaleInStep {
  const copies = new Map<string, number>();
  const leads = new Set(repositories.flatMap((r) => (r.primary ? [r.primary] : [])));
  for (const r of repositories) {
    for (const a of new Set([...(r.primary ? [r.primary] : []), ...r.replicas])) copies.set(a, (copies.get(a) ?? 0) + 1);
  }
  const step: ScaleInStep = { drain: [], stepDown: [], remove: [], waiting: [] };
  for (const a of [...agents].sort((x, y) => y.ordinal - x.ordinal || naturalCompare(y.name, x.name))) {
    // A drain is one-way (the agent stepped down and stopped serving): one wanted again after a scale-out mid-drain
    // is finished too, and its ordinal then comes back as a fresh agent.
    if (a.ordinal < desired && !a.draining) continue;
    const held = copies.get(a.name) ?? 0;
    if (!leads.has(a.name)) step.stepDown.push(a.name);
    if (!a.draining) step.drain.push(a.name);
    else if (held === 0) step.remove.push(a.name);
    else step.waiting.push({ agent: a.name, copies: held });
  }
  return step;
}
