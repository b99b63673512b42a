// One string order for every decision, so the same input sorts the same on every node.

/** Code-unit order: locale-independent (localeCompare depends on the ICU build and locale). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
