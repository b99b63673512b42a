// The passes place() repeats until nothing changes: shed copies from agents above their bound, spread copies over
// failure domains where the bound now allows it, and let underloaded agents (a new one, typically) pull replicas
// from heavier ones. They only move replicas of repositories with a settled primary, and every move lowers
// (copies above bounds, -domains spread, Σ load²/weight) in that order, so the loop ends; it ends in a state where
// no pass would move anything, which is what makes placing a placement a no-op.
import { PlacementState, RepoWork } from './placement-state.js';

/**
 * Agents above their bound (the bound shrank as agents joined, or a copy had nowhere else to go) give away the
 * replicas they rank worst for, wherever newHome finds room; copies with no such home stay.
 */
export function shedPass(state: PlacementState, repos: readonly RepoWork[]): number {
  const n = state.agents.length;
  const over: number[] = [];
  for (let a = 0; a < n; a++) if (state.load[a] > state.bound[a]) over.push(a);
  over.sort((a, b) => state.load[b] - state.bound[b] - (state.load[a] - state.bound[a]) || a - b);
  let moves = 0;
  for (const from of over) {
    const held = repos.filter((r) => !r.pinned && r.replicas.includes(from));
    held.sort((x, y) => y.rank[from] - x.rank[from]); // stable: ring position order within a rank
    for (const repo of held) {
      if (state.load[from] <= state.bound[from]) break;
      const to = state.newHome(repo, from, true);
      if (to < 0) continue;
      state.moveReplica(repo, from, to, 'over-load-bound');
      moves++;
    }
  }
  return moves;
}

/** Moves one shared-domain replica per repository to an unused domain with room; returns the moves made. */
export function zoneRepairPass(state: PlacementState, repos: readonly RepoWork[]): number {
  if (state.domainCount <= 1) return 0;
  let moves = 0;
  for (const repo of repos) {
    if (repo.pinned || !state.zoneSpreadRelaxed(repo)) continue;
    const copies = state.copies(repo);
    const shared = repo.replicas
      .filter((a) => copies.some((b) => b !== a && state.domain[b] === state.domain[a]))
      .sort((a, b) => byHeaviest(state, repo, a, b));
    for (const from of shared) {
      const used = new Set(copies.filter((a) => a !== from).map((a) => state.domain[a]));
      const to = Array.from(repo.order).find(
        (a) => !state.holds(repo, a) && !used.has(state.domain[a]) && state.hasRoom(a),
      );
      if (to === undefined) continue;
      state.moveReplica(repo, from, to, 'zone-spread');
      moves++;
      break;
    }
  }
  return moves;
}

/**
 * Every agent below `trigger` × its fair share pulls replicas, up to its share, from agents whose move to it
 * lowers Σ load²/weight (so this terminates), never narrowing a repository's domain spread. It takes first the
 * repositories whose ring order ranks it highest: the ones consistent hashing would have given it.
 */
export function rebalancePass(state: PlacementState, repos: readonly RepoWork[], trigger: number): number {
  const n = state.agents.length;
  const under: number[] = [];
  for (let a = 0; a < n; a++) if (state.load[a] < trigger * state.target[a]) under.push(a);
  under.sort((a, b) => state.load[a] / state.target[a] - state.load[b] / state.target[b] || a - b);
  let moves = 0;
  for (const to of under) {
    const goal = Math.floor(state.target[to]);
    if (state.load[to] >= goal) continue;
    for (const repo of byRankOf(to, repos, n)) {
      if (repo.pinned || repo.replicas.length === 0 || state.holds(repo, to)) continue;
      const from = pickDonor(state, repo, to);
      if (from < 0) continue;
      state.moveReplica(repo, from, to, 'rebalance');
      moves++;
      if (state.load[to] >= goal) break;
    }
  }
  return moves;
}

function pickDonor(state: PlacementState, repo: RepoWork, to: number): number {
  const gain = (2 * state.load[to] + 1) / state.weight[to];
  const spread = state.distinctDomains(repo);
  let best = -1;
  for (const from of repo.replicas) {
    if ((2 * state.load[from] - 1) / state.weight[from] <= gain) continue;
    if (state.distinctDomains(repo, from, to) < spread) continue;
    if (best < 0 || byHeaviest(state, repo, from, best) < 0) best = from;
  }
  return best;
}

/** Heaviest first; then the copy the ring ranks last for this repository; then agent order. */
function byHeaviest(state: PlacementState, repo: RepoWork, a: number, b: number): number {
  return state.relativeLoad(b) - state.relativeLoad(a) || repo.rank[b] - repo.rank[a] || a - b;
}

/** Repositories ordered by where `agent` sits in their ring order (stable, so hash order within a rank). */
function byRankOf(agent: number, repos: readonly RepoWork[], n: number): RepoWork[] {
  const buckets: RepoWork[][] = Array.from({ length: n }, () => []);
  for (const repo of repos) buckets[repo.rank[agent]].push(repo);
  return buckets.flat();
}
