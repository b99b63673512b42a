// Ref-name and path rules. Ref names follow `git check-ref-format`; paths follow what `git fsck --strict` accepts in a tree.
import { treeDirectoryNameProblem, treeEntryNameProblem } from './fsck/index.js';

/** Returns why `name` (a full ref name such as "refs/heads/main") is invalid, or undefined when git would accept it. */
export function refNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty';
  if (name.length > 1024) return 'is longer than 1024 bytes';
  if (name === '@') return 'is "@"';
  if (name.startsWith('/') || name.endsWith('/')) return 'begins or ends with "/"';
  if (name.endsWith('.')) return 'ends with "."';
  if (name.includes('..')) return 'contains ".."';
  if (name.includes('@{')) return 'contains "@{"';
  if (name.includes('//')) return 'contains "//"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(name)) return 'contains a control character, space, or one of ~ ^ : ? * [ \\';
  for (const part of name.split('/')) {
    if (part.startsWith('.')) return 'has a component beginning with "."';
    if (part.endsWith('.lock')) return 'has a component ending with ".lock"';
  }
  return undefined;
}

/** Short branch or tag name ("main", "feature/x") as users give it; checked as its full ref under `prefix`. */
export function shortRefProblem(short: string, prefix: 'refs/heads/' | 'refs/tags/'): string | undefined {
  if (short.startsWith('-')) return 'begins with "-"';
  if (short === 'HEAD') return 'is "HEAD"';
  if (short.startsWith('refs/')) return 'must be given without the "refs/" prefix';
  return refNameProblem(prefix + short);
}

/**
 * Returns why a repository-relative file path is unacceptable, or undefined. Rejects what would make a tree `git fsck --strict`
 * refuses or that escapes the repository: absolute paths, empty, "." or ".." segments, NUL, and ".git" components on any
 * filesystem git protects (".git ", "git~1", ".g\u200cit", ".git\\x", ".git::$INDEX_ALLOCATION": fsck's
 * treeEntryNameProblem).
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.length > 4096) return 'is longer than 4096 characters';
  if (path.charCodeAt(0) === 0x2f) return 'is absolute';
  // One pass over the characters, checking each segment as it ends: this runs on every file read.
  let start = 0;
  let backslash = false;
  for (let i = 0; i <= path.length; i++) {
    const c = i < path.length ? path.charCodeAt(i) : 0x2f;
    if (c === 0) return 'contains NUL';
    if (c === 0x5c) backslash = true;
    if (c !== 0x2f) continue;
    const len = i - start;
    if (len === 0) return 'has an empty segment';
    if (path.charCodeAt(start) === 0x2e) {
      if (len === 1) return 'has a "." segment';
      if (len === 2 && path.charCodeAt(start + 1) === 0x2e) return 'has a ".." segment';
      if (len === 4 && path.slice(start, i).toLowerCase() === '.git') return 'has a ".git" segment';
    }
    // Only names starting like ".git", "git~1", "GITMOD~1", "~1" (or with an HFS-ignorable code point), or holding a
    // backslash, can be one of the aliases: the full rules run on those alone.
    // A directory must not be .gitmodules or .gitattributes either (git's gitmodulesBlob, gitattributesBlob).
    const c0 = path.charCodeAt(start);
    if (c0 === 0x2e || c0 === 0x67 || c0 === 0x47 || c0 === 0x6d || c0 === 0x4d || c0 === 0x7e || c0 >= 0x2000 || backslash) {
      const segment = path.slice(start, i);
      const alias = i < path.length ? treeDirectoryNameProblem(segment) : treeEntryNameProblem(segment);
      if (alias) return `has a segment that ${alias}`;
    }
    // UTF-8 can take up to 4 bytes per UTF-16 unit pair; only measure exactly when the segment might be too long.
    if (len > 63 && Buffer.byteLength(path.slice(start, i)) > 255) return 'has a segment longer than 255 bytes';
    start = i + 1;
    backslash = false;
  }
  return undefined;
}

