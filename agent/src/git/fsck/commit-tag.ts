// Commit and tag rules (git's fsck_commit, fsck_tag and fsck_ident), over the object's raw bytes: the header ends
// (a blank line, or a newline after the last header) with no NUL in it; a commit has "tree", then "parent"s, exactly
// one "author", a "committer", each id 40 hex digits, and no NUL anywhere; a tag has "object", a known "type", "tag";
// every identity is "Name <email> <seconds> <+hhmm>" with no zero-padded, negative or overflowing date.
import type { ObjectId } from '../objects.js';
import { refuse } from './report.js';

const NL = 0x0a;
const SPACE = 0x20;

function startsWith(b: Buffer, at: number, prefix: string): boolean {
  if (at + prefix.length > b.length) return false;
  for (let k = 0; k < prefix.length; k++) if (b[at + k] !== prefix.charCodeAt(k)) return false;
  return true;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return isDigit(c) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Bytes past the end read as NUL, as git's buffers are NUL-terminated. */
function at(b: Buffer, i: number): number {
  return i < b.length ? b[i] : 0;
}

function indexOfNl(b: Buffer, from: number): number {
  return b.indexOf(NL, from);
}

/** git's verify_headers: no NUL before the blank line that ends the header, and the header ends in a newline. */
function verifyHeaders(id: ObjectId, b: Buffer): void {
  const nul = b.indexOf(0);
  const blank = b.indexOf('\n\n');
  if (nul >= 0 && (blank < 0 || nul < blank)) refuse('nulInHeader', `unterminated header: NUL at offset ${nul}`, id);
  if (blank >= 0) return;
  if (b.length > 0 && b[b.length - 1] === NL) return;
  refuse('unterminatedHeader', 'unterminated header', id);
}

/** Whether `b[p, p+40)` is an object id as git parses one, followed by a newline. */
function idLine(b: Buffer, p: number): boolean {
  for (let k = 0; k < 40; k++) if (!isHex(at(b, p + k))) return false;
  return at(b, p + 40) === NL;
}

/** True when an id git accepted is not in lower case (git writes lower case; our store and readers expect it). */
function hasUpperHex(b: Buffer, p: number): boolean {
  for (let k = 0; k < 40; k++) if (b[p + k] >= 0x41 && b[p + k] <= 0x46) return true;
  return false;
}

/** 2^63 and 2^64: git's timestamps are unsigned 64-bit and must fit a signed 64-bit time_t. */
const TIME_LIMIT = 2n ** 63n;
const UINT64 = 2n ** 64n;

/** C's isspace in the C locale (what strtoumax skips). */
function isCSpace(c: number): boolean {
  return c === SPACE || (c >= 0x09 && c <= 0x0d);
}

/**
 * git 2.39's fsck_ident on the identity starting at `p` (just after "author ", "committer " or "tagger "); returns the
 * offset after its line. The date is read with strtoumax as git 2.39 does: leading whitespace skipped, a sign allowed
 * (a negative date wraps around and overflows), no digits at all is a bad date.
 */
function checkIdent(id: ObjectId, b: Buffer, p: number): number {
  const nl = indexOfNl(b, p);
  const next = nl < 0 ? b.length : nl + 1;
  if (at(b, p) === 0x3c) refuse('missingNameBeforeEmail', 'invalid author/committer line - missing space before email', id);
  let c = at(b, p);
  while (c !== 0x3c && c !== 0x3e && c !== NL && c !== 0) c = at(b, ++p);
  if (c === 0x3e) refuse('badName', 'invalid author/committer line - bad name', id);
  if (c !== 0x3c) refuse('missingEmail', 'invalid author/committer line - missing email', id);
  if (at(b, p - 1) !== SPACE) refuse('missingSpaceBeforeEmail', 'invalid author/committer line - missing space before email', id);
  c = at(b, ++p);
  while (c !== 0x3c && c !== 0x3e && c !== NL && c !== 0) c = at(b, ++p);
  if (c !== 0x3e) refuse('badEmail', 'invalid author/committer line - bad email', id);
  p++;
  if (at(b, p) !== SPACE) refuse('missingSpaceBeforeDate', 'invalid author/committer line - missing space before date', id);
  p++;
  if (at(b, p) === 0x30 && at(b, p + 1) !== SPACE) refuse('zeroPaddedDate', 'invalid author/committer line - zero-padded date', id);
  let q = p;
  while (isCSpace(at(b, q))) q++;
  const negative = at(b, q) === 0x2d;
  if (negative || at(b, q) === 0x2b) q++;
  const digits = q;
  while (isDigit(at(b, q))) q++;
  if (q > digits) {
    let overflow: boolean;
    if (q - digits <= 15) {
      // Below 10^15, far from 2^63: only a negative non-zero value (wrapped around to near 2^64) overflows.
      let zero = true;
      for (let k = digits; k < q; k++) if (b[k] !== 0x30) zero = false;
      overflow = negative && !zero;
    } else {
      let value = BigInt(b.toString('latin1', digits, q));
      if (value >= UINT64) value = UINT64 - 1n; // strtoumax saturates
      else if (negative && value !== 0n) value = UINT64 - value;
      overflow = value >= TIME_LIMIT;
    }
    if (overflow) refuse('badDateOverflow', 'invalid author/committer line - date causes integer overflow', id);
  }
  const end = q > digits ? q : p;
  if (end === p || at(b, end) !== SPACE) refuse('badDate', 'invalid author/committer line - bad date', id);
  p = end + 1;
  const sign = at(b, p);
  if ((sign !== 0x2b && sign !== 0x2d) || !isDigit(at(b, p + 1)) || !isDigit(at(b, p + 2)) || !isDigit(at(b, p + 3))
    || !isDigit(at(b, p + 4)) || at(b, p + 5) !== NL) {
    refuse('badTimezone', 'invalid author/committer line - bad time zone', id);
  }
  return next;
}

export function fsckCommit(id: ObjectId, b: Buffer): void {
  verifyHeaders(id, b);
  const end = b.length;
  if (!startsWith(b, 0, 'tree ')) refuse('missingTree', "invalid format - expected 'tree' line", id);
  if (!idLine(b, 5)) refuse('badTreeSha1', "invalid 'tree' line format - bad sha1", id);
  if (hasUpperHex(b, 5)) refuse('unreadableHeader', "'tree' id in upper case hex", id);
  let p = 46;
  while (p < end && startsWith(b, p, 'parent ')) {
    if (!idLine(b, p + 7)) refuse('badParentSha1', "invalid 'parent' line format - bad sha1", id);
    if (hasUpperHex(b, p + 7)) refuse('unreadableHeader', "'parent' id in upper case hex", id);
    p += 48;
  }
  let authors = 0;
  while (p < end && startsWith(b, p, 'author ')) {
    authors++;
    p = checkIdent(id, b, p + 7);
  }
  if (authors < 1) refuse('missingAuthor', "invalid format - expected 'author' line", id);
  if (authors > 1) refuse('multipleAuthors', "invalid format - multiple 'author' lines", id);
  if (p >= end || !startsWith(b, p, 'committer ')) refuse('missingCommitter', "invalid format - expected 'committer' line", id);
  checkIdent(id, b, p + 10);
  if (b.indexOf(0) >= 0) refuse('nulInCommit', 'NUL byte in the commit object body', id);
}

const TAG_TYPES = new Set(['commit', 'tree', 'blob', 'tag']);

export function fsckTag(id: ObjectId, b: Buffer): void {
  verifyHeaders(id, b);
  const end = b.length;
  if (!startsWith(b, 0, 'object ')) refuse('missingObject', "invalid format - expected 'object' line", id);
  if (!idLine(b, 7)) refuse('badObjectSha1', "invalid 'object' line format - bad sha1", id);
  if (hasUpperHex(b, 7)) refuse('unreadableHeader', "'object' id in upper case hex", id);
  let p = 48;
  if (p >= end || !startsWith(b, p, 'type ')) refuse('missingTypeEntry', "invalid format - expected 'type' line", id);
  p += 5;
  let eol = indexOfNl(b, p);
  if (eol < 0) refuse('missingType', "invalid format - unexpected end after 'type' line", id);
  const type = b.toString('latin1', p, eol);
  if (!TAG_TYPES.has(type)) refuse('badType', "invalid 'type' value", id);
  p = eol + 1;
  if (p >= end || !startsWith(b, p, 'tag ')) refuse('missingTagEntry', "invalid format - expected 'tag' line", id);
  p += 4;
  eol = indexOfNl(b, p);
  if (eol < 0) refuse('missingTag', "invalid format - unexpected end after 'type' line", id);
  // A tag name that is no valid ref name (git's badTagName) and a missing tagger (missingTaggerEntry, old tags) are
  // only informational in git: accepted here too.
  p = eol + 1;
  if (p < end && startsWith(b, p, 'tagger ')) checkIdent(id, b, p + 7);
  // git's tag parser (parse_tag_buffer) gives up on a tag shorter than an object line plus 24 bytes, before fsck.
  if (end < 64) refuse('tagTooShort', `a tag of ${end} bytes, git cannot parse it`, id);
}

/** The type a tag's header names; only for tags fsckTag accepted. */
export function tagTargetType(b: Buffer): string {
  const eol = indexOfNl(b, 53);
  return b.toString('latin1', 53, eol);
}

/** The id a tag names; only for tags fsckTag accepted. */
export function tagTarget(b: Buffer): ObjectId {
  return b.toString('latin1', 7, 47);
}
