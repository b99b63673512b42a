// Where the primary of each repository serves REST, as the operator publishes it (Admin.SetRoutes), so an agent that
// holds no copy of a repository still forwards its requests. Memory only: the operator re-publishes after a restart.
// A route never moves to a lower epoch; an equal epoch may change the address (the operator corrects itself).
export interface RouteEntry {
  repo: string;
  primaryHttpAddr: string;
  epoch: number;
}

export class RoutingTable {
  private readonly routes = new Map<string, RouteEntry>();

  get size(): number {
    return this.routes.size;
  }

  get(repo: string): RouteEntry | undefined {
    return this.routes.get(repo);
  }

  /** Upserts `routes`; with `replace`, routes not listed are forgotten. Lower epochs are ignored and counted. */
  set(routes: RouteEntry[], replace: boolean): { applied: number; ignored: number; total: number } {
    let applied = 0;
    let ignored = 0;
    const listed = new Set<string>();
    for (const r of routes) {
      listed.add(r.repo);
      const have = this.routes.get(r.repo);
      if (have && r.epoch < have.epoch) {
        ignored++;
        continue;
      }
      if (have && have.epoch === r.epoch && have.primaryHttpAddr === r.primaryHttpAddr) continue;
      this.routes.set(r.repo, { ...r });
      applied++;
    }
    if (replace) for (const repo of [...this.routes.keys()]) if (!listed.has(repo)) this.routes.delete(repo);
    return { applied, ignored, total: this.routes.size };
  }
}
