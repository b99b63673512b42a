// Where the real Git history the tests and benchmarks use lives: the project's `../shared/corpus/` (read-only), found
// from the checkout, or GOVC_CORPUS_DIR. A test that needs it and cannot find it fails with the places it looked.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

function candidates(): string[] {
  return [process.env.GOVC_CORPUS_DIR, resolve(process.cwd(), '../shared/corpus'), '/work/shared/corpus'].filter((d): d is string => !!d);
}

/** The path of a corpus file, e.g. corpusFile('express.bundle'). */
export function corpusFile(name: string): string {
  for (const dir of candidates()) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`corpus file ${name} not found in ${candidates().join(', ')} (set GOVC_CORPUS_DIR)`);
}

/** The express history (6413 commits): a bundle of its branches and tags. */
export const EXPRESS_BUNDLE = corpusFileOrMissing('express.bundle');

function corpusFileOrMissing(name: string): string {
  try {
    return corpusFile(name);
  } catch {
    return join(candidates()[0], name); // reading it then fails with ENOENT naming the path
  }
}
