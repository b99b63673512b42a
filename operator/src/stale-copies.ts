// Copies a repository's new replica set no longer has. They are removed right after the new set is recorded; one
// whose agent is not ready then (a health-check flap, a slow restart) is no longer in the status, so it is
// remembered and removed once the agent is back. Forgotten when its agent goes for good (the copy goes with it) or
// when placement wants a copy there again.
export interface CopyRef {
  agent: string;
}

/** Copies to remove: those of the previous record and the still-pending ones, not in `members`, once each. */
export function staleCopies<M extends CopyRef>(recorded: readonly M[], pending: readonly M[], members: readonly CopyRef[]): M[] {
  const keep = new Set(members.map((m) => m.agent));
  const seen = new Set<string>();
  return [...recorded, ...pending].filter((m) => !keep.has(m.agent) && !seen.has(m.agent) && seen.add(m.agent));
}

/** Of the copies to remove, those that could not be: their agent exists but is not ready (nor being deleted). */
export function pendingCopies<M extends CopyRef>(
  stale: readonly M[], agents: readonly { name: string; ready: boolean; terminating: boolean }[],
): M[] {
  return stale.filter((m) => agents.some((a) => a.name === m.agent && !a.ready && !a.terminating));
}
