// Consistent-hash ring with virtual nodes. Each key gets a preference list: every agent once, in the order met
// walking clockwise from the key's point, so adding or removing an agent only reorders the keys near its points.

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so names differing in one digit land far apart. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface RingMember {
  name: string;
  /** Relative weight (> 0); the number of ring points is proportional to it. */
  weight: number;
}

export class HashRing {
  private readonly positions: Uint32Array;
  private readonly owners: Int32Array;
  /** Preference lists and ranks per ring point, filled on first use (many points are never a key's start). */
  private readonly prefCache = new Map<number, { order: Int32Array; rank: Int32Array }>();

  /** `members` index order is the agent index used everywhere in the results. */
  constructor(
    private readonly members: readonly RingMember[],
    virtualNodes: number,
  ) {
    const meanWeight = members.reduce((s, m) => s + m.weight, 0) / Math.max(1, members.length);
    const points: { pos: number; owner: number; name: string }[] = [];
    members.forEach((m, owner) => {
      const count = Math.max(1, Math.round((virtualNodes * m.weight) / meanWeight));
      for (let v = 0; v < count; v++) {
        const name = `${m.name}#${v}`;
        points.push({ pos: hash32(name), owner, name });
      }
    });
    // Ties on a 32-bit position are rare; breaking them by point name keeps the ring independent of input order.
    points.sort((a, b) => a.pos - b.pos || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.positions = Uint32Array.from(points, (p) => p.pos);
    this.owners = Int32Array.from(points, (p) => p.owner);
  }

  get size(): number {
    return this.members.length;
  }

  /** Index of the first ring point at or after the key's hash (wrapping). */
  pointOf(key: string): number {
    const h = hash32(key);
    let lo = 0;
    let hi = this.positions.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.positions[mid] < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === this.positions.length ? 0 : lo;
  }

  /** Every member once, in ring order from `point`; `rank[agent]` is the agent's position in `order`. */
  preference(point: number): { order: Int32Array; rank: Int32Array } {
    const cached = this.prefCache.get(point);
    if (cached) return cached;
    const n = this.members.length;
    const order = new Int32Array(n);
    const rank = new Int32Array(n).fill(-1);
    let found = 0;
    const total = this.positions.length;
    for (let step = 0; found < n && step < total; step++) {
      const owner = this.owners[(point + step) % total];
      if (rank[owner] === -1) {
        rank[owner] = found;
        order[found++] = owner;
      }
    }
    const pref = { order, rank };
    this.prefCache.set(point, pref);
    return pref;
  }
}
