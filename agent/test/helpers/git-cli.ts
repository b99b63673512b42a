// Runs the real git CLI as a test oracle, isolated from the user's and system's configuration.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface GitOptions {
  /** Working directory (default: the process's). */
  cwd?: string;
  /** Extra environment, merged over the isolated defaults. */
  env?: Record<string, string>;
  /** Bytes fed to git's standard input. */
  input?: Buffer | string;
}

/** Deterministic identity/dates and no global or system config, so results are reproducible. */
export const GIT_ENV: Record<string, string> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Test Author',
  GIT_AUTHOR_EMAIL: 'author@example.com',
  GIT_AUTHOR_DATE: '1700000000 +0000',
  GIT_COMMITTER_NAME: 'Test Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.com',
  GIT_COMMITTER_DATE: '1700000000 +0000',
  LC_ALL: 'C',
};

export class GitCliError extends Error {
  override name = 'GitCliError';
  constructor(
    message: string,
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Runs `git ...args`; returns stdout. Throws GitCliError (with stderr) if git exits non-zero. */
export function git(args: string[], opts: GitOptions = {}): Buffer {
  const res = spawnSync('git', args, {
    cwd: opts.cwd,
    env: { ...process.env, ...GIT_ENV, ...opts.env },
    input: opts.input,
    maxBuffer: 1 << 30,
  });
  if (res.error) throw res.error;
  if (res.status !== 0) {
    const stderr = res.stderr.toString('utf8');
    throw new GitCliError(`git ${args.join(' ')} failed (exit ${res.status}): ${stderr.trim()}`, res.status, stderr);
  }
  return res.stdout;
}

/** Like git() but returns stdout as trimmed UTF-8 text. */
export function gitText(args: string[], opts: GitOptions = {}): string {
  return git(args, opts).toString('utf8').trim();
}

/** A fresh temporary directory; remove it with removeTempDir. */
export function makeTempDir(prefix = 'govc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** `git init` in a fresh temp dir (branch "main" unless given); returns the directory. */
export function makeTempRepo(opts: { bare?: boolean; branch?: string } = {}): string {
  const dir = makeTempDir();
  git(['init', '-q', ...(opts.bare ? ['--bare'] : []), '-b', opts.branch ?? 'main', dir]);
  return dir;
}

/** Every object in the repository, raw, via `git cat-file --batch-all-objects --batch`. */
export function catAllObjects(repo: string): Map<string, { type: string; data: Buffer }> {
  return parseCatFileBatch(git(['cat-file', '--batch-all-objects', '--batch'], { cwd: repo }));
}

/** Parses `git cat-file --batch` output ("<id> <type> <size>\n<data>\n" repeated). */
export function parseCatFileBatch(out: Buffer): Map<string, { type: string; data: Buffer }> {
  const objects = new Map<string, { type: string; data: Buffer }>();
  let pos = 0;
  while (pos < out.length) {
    const nl = out.indexOf(0x0a, pos);
    const [id, type, size] = out.toString('latin1', pos, nl).split(' ');
    if (type === 'missing' || size === undefined) throw new Error(`cat-file: ${out.toString('latin1', pos, nl)}`);
    const start = nl + 1;
    const end = start + Number(size);
    objects.set(id, { type, data: out.subarray(start, end) });
    pos = end + 1;
  }
  return objects;
}

/** Deterministic PRNG (LCG) in [0, 1], so a failing fuzz case can be reproduced from its seed. */
export function prng(seed: number): () => number {
  return () => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

/** Deterministic pseudo-random bytes (xorshift32), for binary fixtures that compress poorly. */
export function pseudoRandomBytes(length: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/**
 * A small but varied repository built with the git CLI: nested directories, an executable, a symlink, binary
 * content, unicode and space-containing names, a dozen commits on two branches joined by a merge, an annotated
 * and a lightweight tag, and a large text file edited in every commit (so repacking produces delta chains).
 * Returns the work-tree directory (branch "main" checked out).
 */
export function makeSampleRepo(): string {
  const dir = makeTempRepo();
  const run = (args: string[], env?: Record<string, string>) => git(args, { cwd: dir, env });
  const put = (path: string, content: Buffer | string, mode?: number) => {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    if (mode !== undefined) chmodSync(full, mode);
  };
  const lines = Array.from({ length: 400 }, (_, i) => `line ${i}: the quick brown fox jumps over the lazy dog ${i * 7919 % 1000}`);
  let tick = 0;
  const commit = (message: string) => {
    tick++;
    const date = `${1700000000 + tick * 60} +0100`;
    run(['add', '-A']);
    run(['commit', '-q', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  };

  put('README.md', '# sample\n\nA repository for pack tests.\n');
  put('src/lib/deep/nested/util.ts', 'export const answer = 42;\n');
  put('bin/run.sh', '#!/bin/sh\necho hello\n', 0o755);
  symlinkSync('README.md', join(dir, 'link-to-readme'));
  put('data/blob.bin', pseudoRandomBytes(5000, 7));
  put('data/zeros.bin', Buffer.alloc(3000));
  put('ünïcødé/日本語.txt', 'こんにちは世界\n');
  put('with space/file name.txt', 'spaces\n');
  put('empty.txt', '');
  put('src/big.txt', lines.join('\n') + '\n');
  commit('initial commit');

  for (let round = 1; round <= 8; round++) {
    for (let k = 0; k < 5; k++) lines[(round * 37 + k * 53) % lines.length] = `edited in round ${round} (${k})`;
    lines.push(`appended in round ${round}`);
    put('src/big.txt', lines.join('\n') + '\n');
    put('src/lib/deep/nested/util.ts', `export const answer = ${42 + round};\n`);
    if (round === 3) put('data/blob.bin', Buffer.concat([pseudoRandomBytes(5000, 7), Buffer.from(`tail ${round}`)]));
    if (round === 4) run(['tag', '-a', 'v1.0', '-m', 'release 1.0\n\nannotated tag message']);
    commit(round === 5 ? 'fünfte Änderung — unicode message' : `round ${round}`);
  }

  run(['checkout', '-q', '-b', 'feature', 'HEAD~3']);
  put('feature/notes.md', 'feature work\n');
  put('src/lib/deep/nested/util.ts', 'export const answer = 1000;\nexport const feature = true;\n');
  commit('feature: add notes');
  put('feature/notes.md', 'feature work, continued\n');
  commit('feature: more notes');
  run(['checkout', '-q', 'main']);
  const date = `${1700000000 + ++tick * 60} +0100`;
  run(['merge', '-q', '--no-ff', '-X', 'ours', '-m', 'merge feature', 'feature'], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
  run(['tag', 'light']);
  put('after-merge.txt', 'after merge\n');
  commit('after merge');
  return dir;
}
