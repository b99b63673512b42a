// Git bundles in and out: how users migrate repositories and how backup tiers will snapshot them. Both directions run
// in worker threads (bundle-import.ts, bundle-export.ts): an import parses, inflates and checks everything off the event
// loop, an export deflates every object off it.
import type { Repository } from '../store/repository.js';
import { importBundleOffLoop, type ImportOptions, type ImportResult } from './bundle-import.js';

export type { ImportResult } from './bundle-import.js';
export { exportBundleStream } from './bundle-export.js';

/**
 * Imports a bundle: every object is parsed and checked — fsckObject on every object, then fsckLinks on the new ones,
 * then fsckRef on every ref — within the limits; prerequisites must already be here, every ref the bundle carries must
 * be fully connected. New refs are created; existing refs only move forward (fast-forward) — anything else is a 409 and
 * nothing changes. The work runs in a worker thread (workers/import-task.ts).
 */
export function importBundle(repo: Repository, data: Buffer, opts: ImportOptions = {}): Promise<ImportResult> {
  return importBundleOffLoop(repo, data, opts);
}
