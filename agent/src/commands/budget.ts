// A bounded try on the event loop: a view of a repository's objects that counts what a computation reads and stops it
// (BudgetExceeded) past a number of objects or bytes, so a request that turns out large can be dropped after a few
// milliseconds and computed in a worker instead (off-loop.ts). Only for computations whose cost follows what they read
// (history walks); diffs and merges cost more than their reads and always go to a worker.
import type { GitObject, ObjectId } from '../git/objects.js';
import type { ObjectSource, ObjectView } from './object-view.js';

export interface Budget {
  reads: number;
  bytes: number;
}

export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

class BudgetedSource implements ObjectSource {
  private reads = 0;
  private bytes = 0;
  constructor(
    private readonly base: ObjectSource,
    private readonly budget: Budget,
  ) {}

  get size(): number {
    return this.base.size;
  }

  has(id: ObjectId): boolean {
    return this.base.has(id);
  }

  idsWithPrefix(prefix: string, limit?: number): ObjectId[] {
    return this.base.idsWithPrefix(prefix, limit);
  }

  readObject(id: ObjectId): GitObject | undefined {
    const o = this.base.readObject(id);
    this.bytes += o?.data.length ?? 0;
    if (++this.reads > this.budget.reads || this.bytes > this.budget.bytes) {
      throw new BudgetExceeded(`over the event loop's budget of ${this.budget.reads} objects or ${this.budget.bytes} bytes`);
    }
    return o;
  }
}

/** `view` whose reads stop with BudgetExceeded past `budget`. */
export function budgeted(view: ObjectView, budget: Budget): ObjectView {
  return { objects: new BudgetedSource(view.objects, budget) };
}
