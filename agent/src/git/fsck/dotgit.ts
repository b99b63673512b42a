// Which tree entry names a filesystem git protects would open as ".git", ".gitmodules", ".gitattributes", ".gitignore"
// or ".mailmap": HFS+ (ignores some zero-width and direction code points, folds case) and NTFS (folds case, drops
// trailing dots and spaces, 8.3 short names such as GIT~1 and GITMOD~1, alternate data streams after ':').
// The rules are git's (is_hfs_dot* in utf8.c, is_ntfs_dot* in path.c, CVE-2014-9390, CVE-2018-11235, CVE-2019-1352
// and after), written here over a name's raw bytes `b[start, end)`; a byte at or past `end` reads as NUL, as the end of
// a C string does in git.

export type Bytes = Uint8Array;

/** The generic names git protects; each NTFS 8.3 fallback prefix is what Windows derives from the long name. */
export const GITMODULES = { needle: 'gitmodules', shortPrefix: 'gi7eba' } as const;
export const GITATTRIBUTES = { needle: 'gitattributes', shortPrefix: 'gi7d29' } as const;
export const GITIGNORE = { needle: 'gitignore', shortPrefix: 'gi250a' } as const;
export const MAILMAP = { needle: 'mailmap', shortPrefix: 'maba30' } as const;
export type DotName = { readonly needle: string; readonly shortPrefix: string };

const DOT = 0x2e;
const SLASH = 0x2f;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const SPACE = 0x20;
const TILDE = 0x7e;

function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}

/** Code points HFS+ drops when it compares names. */
function hfsIgnorable(cp: number): boolean {
  return (cp >= 0x200c && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x206a && cp <= 0x206f) || cp === 0xfeff;
}

/** Reader state of nextHfsChar: the position of the next byte. */
let hfsPos = 0;

/**
 * The next code point that HFS+ would not ignore, from `hfsPos`; 0 at the end of the name and for malformed UTF-8
 * (overlong forms, surrogates, U+FFFE/U+FFFF, past U+10FFFF), which git treats alike.
 */
function nextHfsChar(b: Bytes, end: number): number {
  for (;;) {
    const i = hfsPos;
    const c0 = i < end ? b[i] : 0;
    let cp: number;
    if (c0 < 0x80) {
      cp = c0;
      hfsPos = i + 1;
    } else {
      const c1 = i + 1 < end ? b[i + 1] : 0;
      if ((c0 & 0xe0) === 0xc0) {
        if ((c1 & 0xc0) !== 0x80 || (c0 & 0xfe) === 0xc0) return 0;
        cp = ((c0 & 0x1f) << 6) | (c1 & 0x3f);
        hfsPos = i + 2;
      } else {
        const c2 = i + 2 < end ? b[i + 2] : 0;
        if ((c0 & 0xf0) === 0xe0) {
          if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c0 === 0xe0 && (c1 & 0xe0) === 0x80)
            || (c0 === 0xed && (c1 & 0xe0) === 0xa0) || (c0 === 0xef && c1 === 0xbf && (c2 & 0xfe) === 0xbe)) return 0;
          cp = ((c0 & 0x0f) << 12) | ((c1 & 0x3f) << 6) | (c2 & 0x3f);
          hfsPos = i + 3;
        } else if ((c0 & 0xf8) === 0xf0) {
          const c3 = i + 3 < end ? b[i + 3] : 0;
          if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80 || (c0 === 0xf0 && (c1 & 0xf0) === 0x80)
            || (c0 === 0xf4 && c1 > 0x8f) || c0 > 0xf4) return 0;
          cp = ((c0 & 0x07) << 18) | ((c1 & 0x3f) << 12) | ((c2 & 0x3f) << 6) | (c3 & 0x3f);
          hfsPos = i + 4;
        } else {
          return 0;
        }
      }
    }
    if (!hfsIgnorable(cp)) return cp;
  }
}

/** HFS+: does the name read as "." + needle (any case, ignorable code points anywhere), optionally followed by "/..."? */
function isHfsDot(b: Bytes, start: number, end: number, needle: string): boolean {
  hfsPos = start;
  if (nextHfsChar(b, end) !== DOT) return false;
  for (let k = 0; k < needle.length; k++) {
    const c = nextHfsChar(b, end);
    if (c > 127 || lower(c) !== needle.charCodeAt(k)) return false;
  }
  const c = nextHfsChar(b, end);
  return c === 0 || c === SLASH;
}

/** NTFS: ".git" or "git~1" in any case, then only dots and spaces up to the end, a separator ('/' or '\') or ':'. */
export function isNtfsDotgit(b: Bytes, start: number, end: number): boolean {
  const at = (i: number) => (i < end ? b[i] : 0);
  let i = start;
  const c = at(i++);
  if (c === DOT) {
    if (lower(at(i++)) !== 0x67 || lower(at(i++)) !== 0x69 || lower(at(i++)) !== 0x74) return false;
  } else if (lower(c) === 0x67) {
    if (lower(at(i++)) !== 0x69 || lower(at(i++)) !== 0x74 || at(i++) !== TILDE || at(i++) !== 0x31) return false;
  } else {
    return false;
  }
  for (;;) {
    const d = at(i++);
    if (d === 0 || d === BACKSLASH || d === SLASH || d === COLON) return true;
    if (d !== DOT && d !== SPACE) return false;
  }
}

/** NTFS, for the generic names: "." + needle, its 6-letter short name ~1..~4, or its 8.3 fallback form (see path.c). */
function isNtfsDot(b: Bytes, start: number, end: number, name: DotName): boolean {
  const at = (i: number) => (start + i < end ? b[start + i] : 0);
  const { needle, shortPrefix } = name;
  let i: number;
  const matches = (from: number, len: number) => {
    for (let k = 0; k < len; k++) if (lower(at(from + k)) !== needle.charCodeAt(k)) return false;
    return true;
  };
  if (at(0) === DOT && matches(1, needle.length)) {
    i = needle.length + 1;
  } else if (matches(0, 6) && at(6) === TILDE && at(7) >= 0x31 && at(7) <= 0x34) {
    i = 8;
  } else {
    let sawTilde = false;
    for (i = 0; i < 8; i++) {
      const c = at(i);
      if (c === 0) return false;
      if (sawTilde) {
        if (c < 0x30 || c > 0x39) return false;
      } else if (c === TILDE) {
        const d = at(++i);
        if (d < 0x31 || d > 0x39) return false;
        sawTilde = true;
      } else if (i >= 6) {
        return false;
      } else if (c & 0x80) {
        return false;
      } else if (lower(c) !== shortPrefix.charCodeAt(i)) {
        return false;
      }
    }
  }
  for (;;) {
    const c = at(i++);
    if (c === 0 || c === COLON) return true;
    if (c !== SPACE && c !== DOT) return false;
  }
}

/** Whether a name could be any alias at all: the cheap test in front of the full ones, on every tree entry. */
export function mayBeAlias(b: Bytes, start: number, end: number): boolean {
  if (start >= end) return false;
  const c = b[start];
  // '.', 'g'/'G', 'm'/'M' (short names), '~' (8.3 fallback "~1..."), 0xE2/0xEF (HFS-ignorable code points first).
  return c === DOT || c === 0x67 || c === 0x47 || c === 0x6d || c === 0x4d || c === TILDE || c === 0xe2 || c === 0xef;
}

/** ".git" on HFS+ or NTFS. */
export function isDotgit(b: Bytes, start: number, end: number): boolean {
  return isHfsDot(b, start, end, 'git') || isNtfsDotgit(b, start, end);
}

/** One of the generic names on HFS+ or NTFS. */
export function isDotName(b: Bytes, start: number, end: number, name: DotName): boolean {
  return isHfsDot(b, start, end, name.needle) || isNtfsDot(b, start, end, name);
}

/** The NTFS-only form of isDotName, for what follows a backslash (a directory separator on Windows). */
export function isNtfsDotName(b: Bytes, start: number, end: number, name: DotName): boolean {
  return isNtfsDot(b, start, end, name);
}
