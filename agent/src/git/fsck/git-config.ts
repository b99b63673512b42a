// A small git-config parser for .gitmodules blobs, following git's own (config.c, git_parse_source): sections
// `[name]`, `[name "subsection"]` and `[name.subsection]`, keys `key = value` or a bare `key`, quotes, the escapes
// \\ \" \n \t \b and line continuations, `#`/`;` comments, CRLF line ends. It reports each entry as git's parser would,
// in order, and stops at the first syntax error (git's fsck then only notes "gitmodulesParse" and keeps what it saw).
// Names and values are byte strings (latin1), so the checks see exactly git's bytes.
//
// Like git reading a config from memory, bytes are read as C `char`s, and whether those are signed depends on the
// machine: where they are (x86-64, the git this project tests against) a 0xFF byte reads as EOF and a UTF-8 byte
// order mark is never recognised (so the line it starts is a syntax error); where they are not (arm64 Linux) the mark
// is skipped and 0xFF is an ordinary byte. `signedChars` picks the reading.

/** Called for each entry: `name` is "section.subsection.key" (section and key lower-cased), `value` null for a bare key. */
export type ConfigVisitor = (name: string, value: string | null) => void;

const EOF = -1;
const NL = 0x0a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}
function isKeyChar(c: number): boolean {
  return isAlpha(c) || (c >= 0x30 && c <= 0x39) || c === 0x2d;
}
function lower(c: number): number {
  return c >= 0x41 && c <= 0x5a ? c + 32 : c;
}
function chr(c: number): string {
  return String.fromCharCode(c & 0xff);
}
/** What a C string holds: everything before the first NUL. */
function cString(s: string): string {
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

class Source {
  private pos = 0;
  eof = false;
  constructor(private readonly buf: Uint8Array, private readonly signedChars: boolean) {}

  private getc(): number {
    if (this.pos >= this.buf.length) return EOF;
    const b = this.buf[this.pos++];
    return this.signedChars && b > 127 ? b - 256 : b;
  }

  next(): number {
    let c = this.getc();
    if (c === 0x0d) {
      c = this.getc();
      if (c !== NL) {
        if (c !== EOF) this.pos--;
        c = 0x0d;
      }
    }
    if (c === EOF) {
      this.eof = true;
      c = NL;
    }
    return c;
  }
}

function parseValue(src: Source): string | null {
  let quote = false;
  let comment = false;
  let space = 0;
  let value = '';
  for (;;) {
    let c = src.next();
    if (c === NL) return quote ? null : value;
    if (comment) continue;
    if (isSpace(c) && !quote) {
      if (value.length > 0) space++;
      continue;
    }
    if (!quote && (c === 0x3b || c === 0x23)) {
      comment = true;
      continue;
    }
    for (; space > 0; space--) value += ' ';
    if (c === 0x5c) {
      c = src.next();
      if (c === NL) continue;
      if (c === 0x74) c = 0x09;
      else if (c === 0x62) c = 0x08;
      else if (c === 0x6e) c = NL;
      else if (c !== 0x5c && c !== 0x22) return null;
      value += chr(c);
      continue;
    }
    if (c === 0x22) {
      quote = !quote;
      continue;
    }
    value += chr(c);
  }
}

/** Reads a key after its first letter; calls `visit`; false on a syntax error. */
function parseEntry(src: Source, name: string, visit: ConfigVisitor): boolean {
  let c: number;
  for (;;) {
    c = src.next();
    if (src.eof || !isKeyChar(c)) break;
    name += chr(lower(c));
  }
  while (c === 0x20 || c === 0x09) c = src.next();
  let value: string | null = null;
  if (c !== NL) {
    if (c !== 0x3d) return false;
    value = parseValue(src);
    if (value === null) return false;
  }
  visit(cString(name), value === null ? null : cString(value));
  return true;
}

/** `[section "subsection"]` after the section name and the first space; returns the name or null on an error. */
function parseExtendedSection(src: Source, name: string, c: number): string | null {
  do {
    if (c === NL) return null;
    c = src.next();
  } while (isSpace(c));
  if (c !== 0x22) return null;
  name += '.';
  for (;;) {
    c = src.next();
    if (c === NL) return null;
    if (c === 0x22) break;
    if (c === 0x5c) {
      c = src.next();
      if (c === NL) return null;
    }
    name += chr(c);
  }
  return src.next() === 0x5d ? name : null;
}

function parseSection(src: Source): string | null {
  let name = '';
  for (;;) {
    const c = src.next();
    if (src.eof) return null;
    if (c === 0x5d) return name;
    if (isSpace(c)) return parseExtendedSection(src, name, c);
    if (!isKeyChar(c) && c !== 0x2e) return null;
    name += chr(lower(c));
  }
}

const BOM = [0xef, 0xbb, 0xbf];

/** Parses `data`, calling `visit` per entry; returns false when git's parser would stop at a syntax error. */
export function parseGitConfig(data: Uint8Array, visit: ConfigVisitor, signedChars = true): boolean {
  const src = new Source(data, signedChars);
  let comment = false;
  let section = '';
  let bom = 0; // how much of the byte order mark matched; -1 once past it
  for (;;) {
    const c = src.next();
    if (bom >= 0 && bom < BOM.length) {
      if (c === BOM[bom]) {
        bom++;
        continue;
      }
      if (bom !== 0) return false; // a partial byte order mark
      bom = -1;
    }
    if (c === NL) {
      if (src.eof) return true;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (isSpace(c)) continue;
    if (c === 0x23 || c === 0x3b) {
      comment = true;
      continue;
    }
    if (c === 0x5b) {
      const name = parseSection(src);
      if (name === null || name.length === 0) return false;
      section = name + '.';
      continue;
    }
    if (!isAlpha(c)) return false;
    if (!parseEntry(src, section + chr(lower(c)), visit)) return false;
  }
}
