// The order in which git's strmap (hashmap.c with strhash) hands back its keys. Where git's merge walks a strmap, the
// order can decide between equally good candidates (which of two identical files a rename came from), so results
// equal to git's need the same order: FNV-1 hashes, a table of 64 buckets growing fourfold past 80 % load, entries
// pushed at the head of their bucket's chain, iteration bucket by bucket.

/** git's strhash: 32-bit FNV-1 over the key's bytes. */
export function strhash(key: string): number {
  let hash = 0x811c9dc5;
  for (const c of Buffer.from(key, 'utf8')) hash = (Math.imul(hash, 0x01000193) ^ c) >>> 0;
  return hash;
}

/** Keys in the order git would iterate a strmap they were added to in `insertionOrder` (each once). */
export function strmapOrder(insertionOrder: Iterable<string>): string[] {
  let size = 64;
  let table: { key: string; hash: number }[][] = Array.from({ length: size }, () => []);
  let count = 0;
  for (const key of insertionOrder) {
    const e = { key, hash: strhash(key) };
    table[e.hash & (size - 1)].unshift(e);
    if (++count > Math.floor((size * 80) / 100)) {
      // rehash: old buckets in order, each chain from its head, every entry pushed onto the head of its new chain
      const old = table;
      size <<= 2;
      table = Array.from({ length: size }, () => []);
      for (const chain of old) for (const x of chain) table[x.hash & (size - 1)].unshift(x);
    }
  }
  return table.flatMap((chain) => chain.map((e) => e.key));
}
