// Where each repository's primary serves REST, as every agent of a cluster should be told (Admin.SetRoutes), so an
// agent that holds no copy forwards instead of answering 404. Pure: the routes wanted from the recorded placements,
// and what an agent still lacks given what it was last sent. Agents never move a route to a lower epoch, so sending
// a route again is harmless; sending only the difference keeps a steady cluster quiet.

export interface Route {
  repo: string;
  primaryHttpAddr: string;
  epoch: number;
}

/** A repository as routing sees it: its recorded primary and epoch, and whether that primary serves it. */
export interface RoutableRepository {
  name: string;
  primary?: string;
  epoch?: number;
  /** The primary was assigned at `epoch` and answers as such (the Ready condition). */
  serving: boolean;
}

/** Routes for every repository whose recorded primary serves and has an HTTP address now. */
export function desiredRoutes(repos: Iterable<RoutableRepository>, httpAddrOf: ReadonlyMap<string, string>): Route[] {
  const out: Route[] = [];
  for (const r of repos) {
    if (!r.serving || !r.primary || !r.epoch || r.epoch < 1) continue;
    const addr = httpAddrOf.get(r.primary);
    if (addr) out.push({ repo: r.name, primaryHttpAddr: addr, epoch: r.epoch });
  }
  return out;
}

export const routeKey = (r: Route): string => `${r.primaryHttpAddr}@${r.epoch}`;

/** The routes an agent lacks, given the route key last sent to it per repository. */
export function routeDelta(desired: readonly Route[], sent: ReadonlyMap<string, string>): Route[] {
  return desired.filter((r) => sent.get(r.repo) !== routeKey(r));
}

/** Splits a batch into SetRoutes calls of at most `size` routes (a message stays far below gRPC's 4 MiB). */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
