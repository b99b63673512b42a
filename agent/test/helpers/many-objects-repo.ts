// A generated repository with many objects and some MiB-sized blobs, made with `git fast-import` (seconds, not the
// minutes one `git commit` per commit would take), returned as a bundle of all its refs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeTempRepo, pseudoRandomBytes, removeTempDir } from './git-cli.js';

export interface ManyObjectsOptions {
  commits: number;
  /** Files changed per commit (among `files`). */
  changesPerCommit: number;
  files: number;
  /** Incompressible blobs of `bigBlobBytes` each, added along the history. */
  bigBlobs: number;
  bigBlobBytes: number;
}

export function manyObjectsBundle(o: ManyObjectsOptions): Buffer {
  const dir = makeTempRepo({ bare: true });
  try {
    const parts: Buffer[] = [];
    const text = (s: string) => parts.push(Buffer.from(s));
    const data = (b: Buffer) => {
      text(`data ${b.length}\n`);
      parts.push(b, Buffer.from('\n'));
    };
    for (let c = 0; c < o.commits; c++) {
      text(`commit refs/heads/main\nmark :${c + 1}\ncommitter Gen <gen@example.com> ${1700000000 + c * 60} +0000\n`);
      data(Buffer.from(`commit ${c}\n`));
      if (c > 0) text(`from :${c}\n`);
      for (let k = 0; k < o.changesPerCommit; k++) {
        const f = (c * 7919 + k * 104729) % o.files;
        text(`M 100644 inline dir${f % 40}/sub${f % 7}/file${f}.txt\n`);
        data(Buffer.from(`file ${f} changed in commit ${c}\n`.repeat(1 + (f % 5))));
      }
      if (o.bigBlobs > 0 && c % Math.max(1, Math.floor(o.commits / o.bigBlobs)) === 0 && c / Math.floor(o.commits / o.bigBlobs) < o.bigBlobs) {
        text(`M 100644 inline assets/big${c}.bin\n`);
        data(pseudoRandomBytes(o.bigBlobBytes, c + 1));
      }
    }
    text('done\n');
    git(['fast-import', '--quiet', '--done'], { cwd: dir, input: Buffer.concat(parts) });
    const file = join(dir, 'all.bundle');
    git(['bundle', 'create', '-q', file, '--all'], { cwd: dir });
    return readFileSync(file);
  } finally {
    removeTempDir(dir);
  }
}
