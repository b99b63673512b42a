// Tree rules (git's fsck_tree and the tree parser under it), over a tree's raw bytes: entries parse ("<octal mode>
// <name>\0<20-byte id>", non-empty mode and name), modes are canonical, names are not empty, ".", "..", "a/b" or ".git"
// on any filesystem git protects, no entry points at the null id, entries are sorted as git sorts them and unique, and
// .gitmodules / .gitattributes / .gitignore / .mailmap (and their aliases) are not symbolic links (nor, for the first
// two, submodules).
// Scanning bytes (no string per name) keeps this cheap enough to run on every tree of every import.
import type { ObjectId } from '../objects.js';
import { refuse } from './report.js';
import {
  GITATTRIBUTES, GITIGNORE, GITMODULES, MAILMAP, isDotName, isDotgit, isNtfsDotName, isNtfsDotgit, mayBeAlias, type Bytes,
} from './dotgit.js';

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;
const S_IFGITLINK = 0o160000;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const ID_BYTES = 20;

/** One parsed entry, as the scanner hands it to its visitor (offsets into the tree's bytes). */
export interface RawEntry {
  /** The mode as git reads it: octal digits, wrapped to 32 bits, then cut to 16 bits (git keeps it in a short). */
  mode: number;
  modeStart: number;
  modeEnd: number;
  nameStart: number;
  nameEnd: number;
  /** Offset of the 20-byte id. */
  idAt: number;
}

/**
 * Parses entries the way git's tree parser does, calling `visit` for each; returns false when the tree does not parse
 * (git's "badTree"): the last entry not NUL-terminated 21 bytes before the end, fewer than 23 bytes left for an entry,
 * a mode that is empty or not octal, an empty name.
 */
export function scanTree(data: Buffer, visit: (e: RawEntry) => void): boolean {
  const size = data.length;
  if (size === 0) return true;
  // git checks, for every entry, that the byte 21 before the end of the tree is a NUL (the last name's terminator);
  // that bounds every name, so a NUL is always found below.
  if (size < ID_BYTES + 3 || data[size - ID_BYTES - 1] !== 0) return false;
  const entry: RawEntry = { mode: 0, modeStart: 0, modeEnd: 0, nameStart: 0, nameEnd: 0, idAt: 0 };
  let pos = 0;
  while (pos < size) {
    if (size - pos < ID_BYTES + 3) return false;
    if (data[pos] === 0x20) return false;
    let mode = 0;
    let i = pos;
    for (;;) {
      const c = data[i++];
      if (c === 0x20) break;
      if (c < 0x30 || c > 0x37) return false;
      mode = ((mode << 3) + (c - 0x30)) >>> 0;
    }
    const nul = indexOfNul(data, i);
    if (nul === i) return false;
    entry.mode = mode & 0xffff;
    entry.modeStart = pos;
    entry.modeEnd = i - 1;
    entry.nameStart = i;
    entry.nameEnd = nul;
    entry.idAt = nul + 1;
    visit(entry);
    pos = nul + 1 + ID_BYTES;
  }
  return true;
}

function indexOfNul(data: Buffer, from: number): number {
  // Buffer.indexOf is a native call: worth it past a few bytes, names are usually short.
  for (let i = from, stop = Math.min(data.length, from + 16); i < stop; i++) if (data[i] === 0) return i;
  return data.indexOf(0, from + 16);
}

export function isDirMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFDIR;
}
export function isSymlinkMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFLNK;
}
export function isGitlinkMode(mode: number): boolean {
  return (mode & S_IFMT) === S_IFGITLINK;
}

/**
 * Whether the mode's spelling is one git writes (100644 100755 120000 40000 160000) or a legacy regular-file mode
 * "100xxx" that early gits wrote and git (and our tree reader) still read as a file.
 */
function modeSpellingOk(data: Bytes, start: number, end: number): boolean {
  const len = end - start;
  const c0 = data[start];
  if (len === 5) return c0 === 0x34 && data[start + 1] === 0x30 && data[start + 2] === 0x30 && data[start + 3] === 0x30 && data[start + 4] === 0x30;
  if (len !== 6 || c0 !== 0x31) return false;
  const c1 = data[start + 1];
  const c2 = data[start + 2];
  if (c1 === 0x30 && c2 === 0x30) return true; // 100xxx (digits already known to be octal)
  const rest = data[start + 3] === 0x30 && data[start + 4] === 0x30 && data[start + 5] === 0x30;
  return rest && c2 === 0x30 && (c1 === 0x32 || c1 === 0x36); // 120000, 160000
}

// git's verify_ordered: entries sort by name bytes, a directory's name compared as if it ended in '/'. A file "foo" and
// a directory "foo" are duplicates even when "foo.bar" sorts between them, hence the stack of candidate files.
const ORDERED = 0;
const UNORDERED = -1;
const DUPLICATE = -2;

function lessThanSlash(c: number): boolean {
  return c !== 0 && c < SLASH;
}

class OrderCheck {
  /** Candidate file names [start, end) that a later directory of the same name would duplicate. */
  private candidates: number[] = [];

  constructor(private readonly data: Bytes) {}

  compare(mode1: number, s1: number, e1: number, mode2: number, s2: number, e2: number): number {
    const d = this.data;
    const len1 = e1 - s1;
    const len2 = e2 - s2;
    const len = len1 < len2 ? len1 : len2;
    for (let k = 0; k < len; k++) {
      const a = d[s1 + k];
      const b = d[s2 + k];
      if (a !== b) return a < b ? ORDERED : UNORDERED;
    }
    let c1 = len < len1 ? d[s1 + len] : 0;
    let c2 = len < len2 ? d[s2 + len] : 0;
    if (c1 === 0 && c2 === 0) return DUPLICATE;
    if (c1 === 0 && isDirMode(mode1)) c1 = SLASH;
    if (c2 === 0 && isDirMode(mode2)) c2 = SLASH;
    if (c1 === 0 && lessThanSlash(c2)) {
      this.candidates.push(s1, e1);
    } else if (c2 === SLASH && lessThanSlash(c1)) {
      while (this.candidates.length > 0) {
        const fe = this.candidates.pop()!;
        const fs = this.candidates.pop()!;
        const flen = fe - fs;
        if (flen > len2 || !sameBytes(d, fs, s2, flen)) continue;
        if (flen === len2) return DUPLICATE;
        if (lessThanSlash(d[s2 + flen])) {
          this.candidates.push(fs, fe);
          break;
        }
      }
    }
    return c1 < c2 ? ORDERED : UNORDERED;
  }
}

function sameBytes(d: Bytes, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (d[a + k] !== d[b + k]) return false;
  return true;
}

function isNullId(d: Bytes, at: number): boolean {
  for (let k = 0; k < ID_BYTES; k++) if (d[at + k] !== 0) return false;
  return true;
}

/** Checks one tree on its own; throws FsckError with git's message id for the first problem git would report. */
export function fsckTree(id: ObjectId, data: Buffer): void {
  let immediate: [string, string] | undefined;
  let nullSha1 = false;
  let fullPathname = false;
  let hasDot = false;
  let hasDotdot = false;
  let hasDotgit = false;
  let zeroPadded = false;
  let badMode = false;
  let duplicates = false;
  let unsorted = false;
  const order = new OrderCheck(data);
  let prevMode = -1;
  let prevStart = 0;
  let prevEnd = 0;
  const note = (check: string, message: string) => {
    immediate ??= [check, message];
  };

  const parsed = scanTree(data, (e) => {
    const { mode, nameStart: s, nameEnd: end } = e;
    nullSha1 ||= isNullId(data, e.idAt);
    let backslash = -1;
    for (let k = s; k < end; k++) {
      const c = data[k];
      if (c === SLASH) fullPathname = true;
      else if (c === BACKSLASH && backslash < 0) backslash = k;
    }
    const len = end - s;
    if (data[s] === 0x2e && (len === 1 || (len === 2 && data[s + 1] === 0x2e))) {
      if (len === 1) hasDot = true;
      else hasDotdot = true;
    }
    const symlink = isSymlinkMode(mode);
    const gitlink = isGitlinkMode(mode);
    if (mayBeAlias(data, s, end)) {
      hasDotgit ||= isDotgit(data, s, end);
      if (gitlink) {
        if (isDotName(data, s, end, GITMODULES)) note('gitmodulesGitlink', '.gitmodules is a submodule');
        if (isDotName(data, s, end, GITATTRIBUTES)) note('gitattributesGitlink', '.gitattributes is a submodule');
      }
      if (symlink) {
        if (isDotName(data, s, end, GITMODULES)) note('gitmodulesSymlink', '.gitmodules is a symbolic link');
        if (isDotName(data, s, end, GITATTRIBUTES)) note('gitattributesSymlink', '.gitattributes is a symlink');
        if (isDotName(data, s, end, GITIGNORE)) note('gitignoreSymlink', '.gitignore is a symlink');
        if (isDotName(data, s, end, MAILMAP)) note('mailmapSymlink', '.mailmap is a symlink');
      }
    }
    // Windows reads a backslash as a directory separator: what follows each one is checked as a name of its own.
    for (let k = backslash; k >= 0 && k < end; k++) {
      if (data[k] !== BACKSLASH) continue;
      hasDotgit ||= isNtfsDotgit(data, k + 1, end);
      if (symlink && isNtfsDotName(data, k + 1, end, GITMODULES)) note('gitmodulesSymlink', '.gitmodules is a symbolic link');
      if (gitlink && isNtfsDotName(data, k + 1, end, GITMODULES)) note('gitmodulesGitlink', '.gitmodules is a submodule');
    }
    if (data[e.modeStart] === 0x30) zeroPadded = true;
    else if (!modeSpellingOk(data, e.modeStart, e.modeEnd)) badMode = true;
    if (prevMode >= 0) {
      const r = order.compare(prevMode, prevStart, prevEnd, mode, s, end);
      if (r === UNORDERED) unsorted = true;
      else if (r === DUPLICATE) duplicates = true;
    }
    prevMode = mode;
    prevStart = s;
    prevEnd = end;
  });

  // The order git reports them in: per-entry findings first, then a parse failure, then the tree-wide flags.
  if (immediate) refuse(immediate[0], immediate[1], id);
  if (!parsed) refuse('badTree', 'cannot be parsed as a tree', id);
  if (nullSha1) refuse('nullSha1', 'contains entries pointing to null sha1', id);
  if (fullPathname) refuse('fullPathname', 'contains full pathnames', id);
  if (hasDot) refuse('hasDot', "contains '.'", id);
  if (hasDotdot) refuse('hasDotdot', "contains '..'", id);
  if (hasDotgit) refuse('hasDotgit', "contains '.git'", id);
  if (zeroPadded) refuse('zeroPaddedFilemode', 'contains zero-padded file modes', id);
  if (badMode) refuse('badFilemode', 'contains bad file modes', id);
  if (duplicates) refuse('duplicateEntries', 'contains duplicate file entries', id);
  if (unsorted) refuse('treeNotSorted', 'not properly sorted', id);
}

/** Why git would refuse `name` as a tree entry name, or undefined; the name's UTF-8 bytes. */
export function entryNameProblem(b: Bytes): string | undefined {
  const end = b.length;
  if (end === 0) return 'is empty';
  let backslash = -1;
  for (let k = 0; k < end; k++) {
    const c = b[k];
    if (c === 0) return 'contains NUL';
    if (c === SLASH) return 'contains "/"';
    if (c === BACKSLASH && backslash < 0) backslash = k;
  }
  if (b[0] === 0x2e && (end === 1 || (end === 2 && b[1] === 0x2e))) return `is "${end === 1 ? '.' : '..'}"`;
  if (mayBeAlias(b, 0, end) && isDotgit(b, 0, end)) return 'is ".git" on a filesystem git protects (hasDotgit)';
  for (let k = backslash; k >= 0 && k < end; k++) {
    if (b[k] === BACKSLASH && isNtfsDotgit(b, k + 1, end)) return 'names ".git" after a backslash, a separator on Windows (hasDotgit)';
  }
  return undefined;
}

/**
 * Why git would refuse a directory of this name: what entryNameProblem refuses, and the names git reads as
 * .gitmodules or .gitattributes on some filesystem (git's gitmodulesBlob and gitattributesBlob: those must be files).
 */
export function directoryNameProblem(b: Bytes): string | undefined {
  const problem = entryNameProblem(b);
  if (problem) return problem;
  const end = b.length;
  if (mayBeAlias(b, 0, end)) {
    if (isDotName(b, 0, end, GITMODULES)) return 'is .gitmodules on a filesystem git protects, which must be a file (gitmodulesBlob)';
    if (isDotName(b, 0, end, GITATTRIBUTES)) return 'is .gitattributes on a filesystem git protects, which must be a file (gitattributesBlob)';
  }
  for (let k = 0; k < end; k++) {
    if (b[k] === BACKSLASH && isNtfsDotName(b, k + 1, end, GITMODULES)) return 'names .gitmodules after a backslash, which must be a file (gitmodulesBlob)';
  }
  return undefined;
}
