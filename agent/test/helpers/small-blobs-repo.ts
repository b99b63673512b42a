// A generated repository of many small distinct blobs in one commit (`dirs` folders of `perDir` files), made with
// `git fast-import` and returned as a bundle: the largest object counts an import takes, in seconds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeTempRepo, removeTempDir } from './git-cli.js';

export function smallBlobsBundle(dirs: number, perDir: number, branch = 'main'): Buffer {
  const dir = makeTempRepo({ bare: true });
  try {
    const parts: string[] = [`commit refs/heads/${branch}\ncommitter Gen <gen@example.com> 1700000000 +0000\ndata 6\nblobs\n`];
    for (let d = 0; d < dirs; d++) {
      for (let f = 0; f < perDir; f++) {
        const body = `blob ${d}/${f}\n`;
        parts.push(`M 100644 inline d${d}/f${f}\ndata ${Buffer.byteLength(body)}\n${body}\n`);
      }
    }
    parts.push('done\n');
    git(['fast-import', '--quiet', '--done'], { cwd: dir, input: Buffer.from(parts.join('')) });
    const file = join(dir, 'all.bundle');
    git(['bundle', 'create', '-q', file, '--all'], { cwd: dir });
    return readFileSync(file);
  } finally {
    removeTempDir(dir);
  }
}
