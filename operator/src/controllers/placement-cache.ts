// One place() call per cluster for many Repository reconciles: placing every repository of a cluster on each
// reconcile is quadratic (10,000 repositories = 10,000 placements of 10,000). The decisions of the last place() are
// kept and handed out while they still hold: same agents and cluster spec, the repository was in that call with the
// same replication factor, and its recorded placement is still the one place() saw or the one it decided. Otherwise
// the reconcile waits for the next call, which a short debounce shares among all reconciles that need one.
// New repositories (no recorded placement) arriving while the last call still holds are placed incrementally next to
// it (placement-incremental.ts: cost proportional to the arrivals, batched per event-loop turn); the full call then
// runs at most every REFRESH_MS while repositories keep changing.
import type { GovcClusterResource, RepositoryResource } from '../crd/generated-types.js';
import { place } from '../placement.js';
import { type Loads, addLoads, loadsOf, placeAdditions } from '../placement-incremental.js';
import type { RepoDecision, RepoPlacement } from '../types.js';
import { type AgentView, placementAgents } from './agent-view.js';
import { decidePlacement, effectiveSettings, recordedPlacement } from './repository-plan.js';

interface Entry {
  decision: RepoDecision;
  /** The recorded placement place() saw. */
  input: RepoPlacement | undefined;
  replicationFactor: number;
}

interface ClusterState {
  inputsKey: string;
  decisions: Map<string, Entry>;
  computedAt: number;
  /** How long the last place() took: the next waits twice that after it, so placing never takes most of the CPU. */
  tookMs: number;
  /** Repositories were added, deleted or changed spec since the last place(). */
  changed: boolean;
  pending?: Promise<void>;
  /** New repositories waiting for the next incremental placement (one per event-loop turn). */
  additions?: Array<{ repo: RepositoryResource; resolve: (d: RepoDecision | undefined) => void }>;
  /** Loads of the decisions held, counted once per place() and kept up to date by the additions. */
  loads?: Loads;
}

/** Decisions older than this are recomputed once anything changed (loads drift as repositories come and go). */
const REFRESH_MS = 5_000;

export class PlacementCache {
  private readonly clusters = new Map<string, ClusterState>();
  /** place() calls so far (for tests and metrics). */
  computations = 0;
  /** Incremental placements of new repositories so far (for tests and metrics). */
  incremental = 0;

  constructor(
    private readonly repositoriesOf: (namespace: string, cluster: string) => RepositoryResource[],
    private readonly debounceMs = 50,
  ) {}

  /** Something about the cluster's set of repositories changed (added, deleted, replication factor). */
  changed(namespace: string, cluster: string): void {
    const s = this.clusters.get(`${namespace}/${cluster}`);
    if (s) s.changed = true;
  }

  async decide(repo: RepositoryResource, cluster: GovcClusterResource, agents: readonly AgentView[]): Promise<RepoDecision> {
    const key = `${cluster.metadata.namespace}/${cluster.metadata.name}`;
    const inputsKey = `${cluster.metadata.generation ?? 0}|${JSON.stringify(placementAgents(agents, cluster.spec.zoneSpreading !== false))}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const s = this.clusters.get(key);
      const fresh = s && s.inputsKey === inputsKey && !(s.changed && Date.now() - s.computedAt > REFRESH_MS);
      const entry = fresh ? s.decisions.get(repo.metadata.name!) : undefined;
      if (entry && this.holds(entry, repo, cluster)) return entry.decision;
      if (fresh && !entry && !recordedPlacement(repo)) {
        const added = await this.addNew(s, repo, cluster, agents, inputsKey);
        if (added) return added;
      }
      await this.recompute(key, cluster, agents, inputsKey);
    }
    // Not in the shared call (e.g. it arrived in the cache after the listing): place it on its own.
    return decidePlacement(repo, cluster, this.repositoriesOf(cluster.metadata.namespace!, cluster.metadata.name!), agents).decision;
  }

  /** The reconciler recorded `placement` for `repo` (from the decision, or a failover's choice). */
  recorded(namespace: string, cluster: string, repo: string, placement: RepoPlacement): void {
    const s = this.clusters.get(`${namespace}/${cluster}`);
    const entry = s?.decisions.get(repo);
    if (!s || !entry) return;
    const sameAsDecided = samePlacement(placement, entry.decision);
    entry.input = placement;
    if (sameAsDecided) return;
    // A failover's new primary is kept by the next place() (placement is sticky); hand that out meanwhile.
    const copies = (p: { primary: string | null; replicas: readonly string[] }) => (p.primary ? 1 : 0) + p.replicas.length;
    const fewer = copies(placement) < copies(entry.decision);
    entry.decision = { ...entry.decision, primary: placement.primary, replicas: [...placement.replicas].sort(), primaryAction: 'keep' };
    // Fewer copies than place() wanted (a failover decided on an older view of the agents, recorded after it changed):
    // the next look runs place() again, or nothing would ever restore the missing copies while the inputs stay put.
    if (fewer) {
      s.changed = true;
      s.computedAt = 0;
    }
  }

  private holds(e: Entry, repo: RepositoryResource, cluster: GovcClusterResource): boolean {
    if (effectiveSettings(repo, cluster).replicationFactor !== e.replicationFactor) return false;
    const now = recordedPlacement(repo);
    if (!now) return e.input === undefined || e.decision.primary !== null;
    return (e.input !== undefined && samePlacement(now, e.input)) || samePlacement(now, e.decision);
  }

  /** Places `repo` (new) with the other new arrivals of this event-loop turn, next to the decisions held. */
  private addNew(
    s: ClusterState, repo: RepositoryResource, cluster: GovcClusterResource, agents: readonly AgentView[], inputsKey: string,
  ): Promise<RepoDecision | undefined> {
    return new Promise((resolve) => {
      const first = s.additions === undefined;
      (s.additions ??= []).push({ repo, resolve });
      if (!first) return;
      setImmediate(() => {
        const batch = s.additions ?? [];
        s.additions = undefined;
        // A full place() that ran (or started) meanwhile decides for them instead.
        if (s.inputsKey !== inputsKey || s.pending) {
          for (const b of batch) b.resolve(undefined);
          return;
        }
        const todo = new Map<string, { repo: RepositoryResource; rf: number }>();
        for (const b of batch) {
          const name = b.repo.metadata.name!;
          if (!s.decisions.has(name)) todo.set(name, { repo: b.repo, rf: effectiveSettings(b.repo, cluster).replicationFactor });
        }
        if (todo.size > 0) {
          s.loads ??= loadsOf([...s.decisions.values()].map((e) => e.decision));
          const decisions = placeAdditions({
            additions: [...todo].map(([name, t]) => ({ name, replicationFactor: t.rf })),
            agents: placementAgents(agents, cluster.spec.zoneSpreading !== false),
            existing: s.loads,
          });
          this.incremental++;
          for (const d of decisions) {
            s.decisions.set(d.repo, { decision: d, input: undefined, replicationFactor: todo.get(d.repo)!.rf });
            addLoads(s.loads, d);
          }
        }
        for (const b of batch) {
          const e = s.decisions.get(b.repo.metadata.name!);
          b.resolve(e && this.holds(e, b.repo, cluster) ? e.decision : undefined);
        }
      });
    });
  }

  private recompute(key: string, cluster: GovcClusterResource, agents: readonly AgentView[], inputsKey: string): Promise<void> {
    let s = this.clusters.get(key);
    if (!s) {
      s = { inputsKey: '', decisions: new Map(), computedAt: 0, tookMs: 0, changed: true };
      this.clusters.set(key, s);
    }
    if (s.pending) return s.pending;
    const state = s;
    // place() over 10,000 repositories takes a good fraction of a second and blocks the event loop while repositories
    // keep arriving: space the calls out (new arrivals wait for the next one a little longer).
    const delayMs = Math.max(this.debounceMs, state.computedAt + 2 * state.tookMs - Date.now());
    state.pending = new Promise<void>((resolve) => setTimeout(resolve, delayMs)).then(() => {
      const started = Date.now();
      state.pending = undefined;
      state.changed = false;
      const repos = this.repositoriesOf(cluster.metadata.namespace!, cluster.metadata.name!).filter((r) => !r.metadata.deletionTimestamp);
      const current: Record<string, RepoPlacement> = {};
      for (const r of repos) {
        const p = recordedPlacement(r);
        if (p) current[r.metadata.name!] = p;
      }
      const rf = new Map(repos.map((r) => [r.metadata.name!, effectiveSettings(r, cluster).replicationFactor]));
      const result = place({
        repositories: repos.map((r) => ({ name: r.metadata.name!, replicationFactor: rf.get(r.metadata.name!)! })),
        agents: placementAgents(agents, cluster.spec.zoneSpreading !== false),
        current,
      });
      this.computations++;
      state.decisions = new Map(result.repositories.map((d) => [d.repo, {
        decision: d, input: Object.hasOwn(current, d.repo) ? current[d.repo] : undefined, replicationFactor: rf.get(d.repo)!,
      }]));
      state.inputsKey = inputsKey;
      state.loads = undefined;
      state.computedAt = Date.now();
      state.tookMs = state.computedAt - started;
    });
    return state.pending;
  }
}

function samePlacement(a: RepoPlacement, b: { primary: string | null; replicas: readonly string[] }): boolean {
  if (a.primary !== b.primary || a.replicas.length !== b.replicas.length) return false;
  const set = new Set(a.replicas);
  return b.replicas.every((r) => set.has(r));
}
