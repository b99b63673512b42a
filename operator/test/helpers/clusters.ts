// Seeded cluster fixtures for placement tests: the same seed always builds the same cluster.
import { AgentInfo, PlacementResult, RepositorySpec } from '../../src/types.js';

/** mulberry32: tiny, seedable, good enough to shuffle fixtures. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function agents(count: number, zones = 0, prefix = 'agent'): AgentInfo[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${prefix}-${i}`,
    ready: true,
    ...(zones > 0 ? { zone: `zone-${String.fromCharCode(97 + (i % zones))}` } : {}),
  }));
}

export function repos(count: number, replicationFactor: number | ((i: number) => number)): RepositorySpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `repo-${i}`,
    replicationFactor: typeof replicationFactor === 'number' ? replicationFactor : replicationFactor(i),
  }));
}

/** Copies per agent name in a placement result. */
export function copiesByAgent(result: PlacementResult): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of result.repositories) {
    for (const a of [...(r.primary ? [r.primary] : []), ...r.replicas]) counts.set(a, (counts.get(a) ?? 0) + 1);
  }
  return counts;
}

/** Copies that must be created: the cost of a placement change. */
export function copiesAdded(result: PlacementResult): number {
  return result.moves.filter((m) => m.kind === 'add').length;
}
