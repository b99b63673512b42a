// Repository root, computed from this module's location. Works both from the
// TypeScript sources (e2e/harness) and from the build (dist/e2e/harness).
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'e2e', 'tools', 'versions.env'))) return dir;
    dir = resolve(dir, '..');
  }
  throw new Error('cannot find the govc repository root from ' + fileURLToPath(import.meta.url));
}

export const repoRoot = findRoot();
