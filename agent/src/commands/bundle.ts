// Git bundles in and out: how users migrate repositories and how backup tiers will snapshot them. Both directions run
// in worker threads (bundle-import.ts, bundle-export.ts): an import parses, inflates and checks everything off the event
// loop, an export deflates every object off it.
import { writeBundle } from '../git/bundle.js';
import type { Repository } from '../store/repository.js';
import { bundleRefs } from './bundle-export.js';
import { importBundleOffLoop, type ImportOptions, type ImportResult } from './bundle-import.js';

export type { ImportResult } from './bundle-import.js';
export { exportBundleStream } from './bundle-export.js';

/** A bundle of every ref and every object, built on the calling thread: for small repositories and tests. */
export function exportBundle(repo: Repository): Buffer {
  return writeBundle(bundleRefs(repo), repo.objects.objects(), repo.objects.size);
}

/**
 * Imports a bundle: every object is parsed and checked — fsckObject on every object, then fsckLinks on the new ones,
 * then fsckRef on every ref — within the limits; prerequisites must already be here, every ref the bundle carries must
 * be fully connected. New refs are created; existing refs only move forward (fast-forward) — anything else is a 409 and
 * nothing changes. The work runs in a worker thread (workers/import-task.ts).
 */
export function importBundle(repo: Repository, data: Buffer, opts: ImportOptions = {}): Promise<ImportResult> {
  return importBundleOffLoop(repo, data, opts);
}
