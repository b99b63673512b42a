// Which copies of a Repository are damaged (their agent quarantined them: a corrupt or unreadable journal, a failing
// disk), as a pure function of what the operator heard in its looks: the primary's own state, the states the members
// answered while being assigned, and the primary's report of which replicas are in sync (a damaged copy never
// acknowledges anything, so a replica in sync is a healthy one). What was not heard about in a look keeps its last
// record: silence is no news. status.damagedCopies lists them for kubectl users; conditions.ts turns them into
// reasons (CopyDamaged).
import { compare } from './compare.js';

export interface DamagedCopy {
  agent: string;
  role: 'primary' | 'replica';
  /** Why, as the agent said it. */
  damage: string;
  /** When the operator first saw it damaged (RFC 3339). */
  since: string;
}

/** What one member's agent said about its copy: damaged, and why. */
export interface CopyReport {
  damaged: boolean;
  damage: string;
}

export interface DamageLook {
  /** The replica set: agent, gRPC address and role. */
  members: ReadonlyArray<{ agent: string; address: string; role: 'primary' | 'replica' }>;
  /** The primary's own state, when it answered. */
  primary?: (CopyReport & { members: ReadonlyArray<{ addr: string; inSync: boolean }> }) | null;
  /** Members' states read or answered by Assign in this look, by agent (null: it holds no copy). */
  states?: ReadonlyMap<string, CopyReport | null>;
}

/** Per member heard about in this look: its damage, or null when its copy is healthy (or absent). */
export function observeDamage(look: DamageLook): Map<string, string | null> {
  const out = new Map<string, string | null>();
  const byAddr = new Map(look.members.map((m) => [m.address, m.agent]));
  const primary = look.members.find((m) => m.role === 'primary');
  if (look.primary && primary) {
    out.set(primary.agent, look.primary.damaged ? look.primary.damage || 'damaged' : null);
    for (const r of look.primary.members) {
      const agent = byAddr.get(r.addr);
      if (r.inSync && agent !== undefined && agent !== primary.agent) out.set(agent, null);
    }
  }
  for (const [agent, s] of look.states ?? []) {
    if (!look.members.some((m) => m.agent === agent)) continue;
    out.set(agent, s?.damaged ? s.damage || 'damaged' : null);
  }
  return out;
}

/**
 * The damaged copies to record: members heard damaged now (keeping when they were first seen), members not heard
 * about keeping their last record, members heard healthy and copies no longer in the replica set dropped. Sorted.
 */
export function damagedCopies(
  previous: readonly DamagedCopy[] | undefined, members: DamageLook['members'], observed: ReadonlyMap<string, string | null>, now: string,
): DamagedCopy[] {
  const before = new Map((previous ?? []).map((d) => [d.agent, d]));
  const out: DamagedCopy[] = [];
  for (const m of members) {
    const heard = observed.get(m.agent);
    const old = before.get(m.agent);
    if (heard === null) continue;
    if (heard !== undefined) out.push({ agent: m.agent, role: m.role, damage: heard, since: old?.since ?? now });
    else if (old) out.push({ ...old, role: m.role });
  }
  return out.sort((a, b) => compare(a.agent, b.agent));
}

/** Whether two records say the same (the write is skipped when they do). */
export function sameDamage(a: readonly DamagedCopy[] | undefined, b: readonly DamagedCopy[] | undefined): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}
