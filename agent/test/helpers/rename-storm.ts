// A hostile merge for rename detection, made with `git fast-import`: a base of 2n similar files (every pair over git's
// 50 % similarity, so neither exact nor same-basename matching settles anything), a side `ours` that renames the first
// n to new names (a small edit each) and edits the other n, and a side `theirs` that does the opposite. Merging them
// makes rename detection on each side compare n deleted × n added files, all similar — n² similarity estimates twice —
// and the merge is clean: git merge-tree --write-tree gives the tree to expect.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, gitText, makeTempRepo, removeTempDir } from './git-cli.js';

export interface RenameStorm {
  bundle: Buffer;
  ours: string;
  theirs: string;
  /** `git merge-tree --write-tree ours theirs`: the merged tree. */
  mergedTree: string;
}

const TEMPLATE = Array.from({ length: 16 }, (_, k) => `shared line ${k} of the template, long enough to be a span of its own\n`);

/** File i of the base: the template with four lines of its own. */
function content(i: number, edit?: { line: number; text: string }): string {
  const lines = [...TEMPLATE.slice(0, 2), `own ${i} a\n`, ...TEMPLATE.slice(2, 8), `own ${i} b\n`, ...TEMPLATE.slice(8, 14), `own ${i} c\n`, ...TEMPLATE.slice(14), `own ${i} d\n`];
  if (edit) lines[edit.line] = edit.text;
  return lines.join('');
}

export function renameStorm(n: number): RenameStorm {
  const dir = makeTempRepo({ bare: true });
  try {
    const parts: string[] = [];
    const file = (path: string, text: string) => parts.push(`M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`);
    const commit = (ref: string, mark: number, from: number | undefined, message: string) => {
      parts.push(`commit ${ref}\nmark :${mark}\ncommitter Gen <gen@example.com> ${1700000000 + mark * 60} +0000\ndata ${message.length}\n${message}\n`);
      if (from !== undefined) parts.push(`from :${from}\n`);
    };
    commit('refs/heads/main', 1, undefined, 'base');
    for (let i = 0; i < 2 * n; i++) file(`src/f${i}.txt`, content(i));
    // ours: renames the first n (edited near the top), edits the others near the bottom
    commit('refs/heads/ours', 2, 1, 'ours');
    for (let i = 0; i < n; i++) {
      parts.push(`D src/f${i}.txt\n`);
      file(`moved/g${i}.txt`, content(i, { line: 1, text: `ours edited ${i}\n` }));
    }
    for (let i = n; i < 2 * n; i++) file(`src/f${i}.txt`, content(i, { line: 19, text: `ours edited ${i}\n` }));
    // theirs: the opposite
    commit('refs/heads/theirs', 3, 1, 'theirs');
    for (let i = 0; i < n; i++) file(`src/f${i}.txt`, content(i, { line: 19, text: `theirs edited ${i}\n` }));
    for (let i = n; i < 2 * n; i++) {
      parts.push(`D src/f${i}.txt\n`);
      file(`other/h${i}.txt`, content(i, { line: 1, text: `theirs edited ${i}\n` }));
    }
    parts.push('done\n');
    git(['fast-import', '--quiet', '--done'], { cwd: dir, input: parts.join('') });
    const bundle = join(dir, 'storm.bundle');
    git(['bundle', 'create', '-q', bundle, '--all'], { cwd: dir });
    const mergedTree = gitText(['merge-tree', '--write-tree', 'ours', 'theirs'], { cwd: dir }).split('\n')[0];
    return {
      bundle: readFileSync(bundle), ours: gitText(['rev-parse', 'ours'], { cwd: dir }), theirs: gitText(['rev-parse', 'theirs'], { cwd: dir }), mergedTree,
    };
  } finally {
    removeTempDir(dir);
  }
}
