// What one request may make this agent hold or walk: the size of one object, the bytes and objects one import
// materialises, how deep a tree may nest and how long a path may be. Checked where untrusted input enters (bundle import,
// REST commits) while it is decoded, so a small request cannot make the agent allocate far more than the limits say.
// Loaded from the environment by config.ts; the worker threads receive the same values with each task.

export interface Limits {
  /** Largest object (inflated), in bytes. Over it: 413 object_too_large. */
  maxObjectBytes: number;
  /** Largest total one import may materialise (inflated objects and deltas), in bytes. Over it: 413 import_too_large. */
  maxImportBytes: number;
  /** Most objects one import may carry. Over it: 413 too_many_objects. */
  maxImportObjects: number;
  /** Most path components ("a/b/cde/f" has 4) below a root tree. Over it: 422 tree_too_deep. */
  maxTreeDepth: number;
  /** Longest path, in UTF-8 bytes. Over it: 422 path_too_long. */
  maxPathBytes: number;
}

/**
 * - 100 MiB per object: GitHub's hard limit for one file; anything larger belongs in LFS, and a memory-first store
 *   should not be where the exception lives.
 * - 2 GiB per import: GitHub's limit for one push. An import is held whole in memory (in the worker while it is checked,
 *   then in the repository), so this is also the transient memory one import may cost; a 64 MiB body (the default body
 *   limit) of ordinary source history inflates 3-20× (express: 10 MiB → 157 MiB), far below it.
 * - 1,000,000 objects per import: the event loop no longer bounds it (an import is applied in chunks of at most
 *   5,000 objects / 8 MiB, one per turn: store/import-chunks.ts), so what it bounds is the checking worker's
 *   bookkeeping per object, measured at ~1.4 KB of peak RSS per object for a bundle of tiny blobs (~420 MB for 300k):
 *   ~1.4 GB at the limit, the same order as what the byte limit lets one import hold. Real histories reach the byte
 *   limit first (express: ~4.7 KB inflated per object, so 2 GiB is ~450k objects); a bigger one imports as several
 *   incremental bundles.
 * - Tree depth 2048: git's own core.maxTreeDepth default since 2.46 (512 for MSVC builds), the depth beyond which git
 *   itself refuses to walk a tree; a deeper one could never be checked out or fsck'd by the clients it would go to.
 * - Paths of 4096 bytes: Linux's PATH_MAX; longer ones cannot be checked out on the platforms git runs on.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxObjectBytes: 100 * 2 ** 20,
  maxImportBytes: 2 * 2 ** 30,
  maxImportObjects: 1_000_000,
  maxTreeDepth: 2048,
  maxPathBytes: 4096,
});
