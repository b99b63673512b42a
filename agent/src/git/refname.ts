// Ref-name and path rules. Ref names follow `git check-ref-format`; paths follow what `git fsck --strict` accepts in a tree.

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
 * refuses or that escapes the repository: absolute paths, empty, "." or ".." segments, NUL, and ".git" components.
 */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty';
  if (path.length > 4096) return 'is longer than 4096 characters';
  if (path.includes('\0')) return 'contains NUL';
  if (path.startsWith('/')) return 'is absolute';
  for (const seg of path.split('/')) {
    if (seg === '') return 'has an empty segment';
    if (seg === '.' || seg === '..') return `has a "${seg}" segment`;
    if (seg.toLowerCase() === '.git') return 'has a ".git" segment';
    if (Buffer.byteLength(seg) > 255) return 'has a segment longer than 255 bytes';
  }
  return undefined;
}
