// What a repository's history is made of: changes, each a set of new objects and compare-and-swap ref updates (and,
// rarely, metadata), numbered by seq. Shared by the repository, its pending overlay, persistence and replication.
import type { GitObject, ObjectId } from '../git/objects.js';

export interface RepoMeta {
  name: string;
  description: string;
  defaultBranch: string;
  createdAt: string;
}

export type StoredObject = GitObject & { id: ObjectId };

export interface RefUpdate {
  name: string;
  /** Required current value: an id, or null for "must not exist". */
  old: ObjectId | null;
  /** New value, or null to delete. */
  new: ObjectId | null;
}

/** Metadata fields a change may set (e.g. an import adopting a bundle's default branch). */
export type MetaChange = Partial<Pick<RepoMeta, 'defaultBranch' | 'description'>>;

export interface Change {
  seq: number;
  /** Epoch of the primary that made the change (0 = standalone); replicas refuse changes from a deposed primary. */
  epoch: number;
  objects: StoredObject[];
  refs: RefUpdate[];
  /** Metadata fields changed by this change. */
  meta?: MetaChange;
}
