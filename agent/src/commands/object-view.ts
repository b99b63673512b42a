// What the read-only computations (compare, history, tree listings, merges) need of a repository: its objects only —
// never its refs, which are resolved on the main thread first. A Repository is one; so is a worker's view of a snapshot
// of its object store (store/object-snapshot.ts), which is how the same code runs off the event loop.
import type { ObjectId, ObjectReader } from '../git/objects.js';

export interface ObjectSource extends ObjectReader {
  has(id: ObjectId): boolean;
  /** Objects held (abbreviations get longer as it grows). */
  readonly size: number;
  idsWithPrefix(prefix: string, limit?: number): ObjectId[];
}

export interface ObjectView {
  readonly objects: ObjectSource;
}
