// Git's object model in its exact canonical encoding: ids are SHA-1 over "<type> <size>\0<data>",
// byte-for-byte what `git hash-object` computes.
import { createHash, hash } from 'node:crypto';

export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag';
/** 40 lowercase hex characters. */
export type ObjectId = string;

export interface GitObject {
  type: ObjectType;
  data: Buffer;
}

/** Anything objects can be read from: a repository, a pack being indexed, a test fixture. */
export interface ObjectReader {
  readObject(id: ObjectId): GitObject | undefined;
}

export const OBJECT_TYPES: readonly ObjectType[] = ['blob', 'tree', 'commit', 'tag'];
export const ZERO_ID: ObjectId = '0'.repeat(40);
const HEX40 = /^[0-9a-f]{40}$/;

export class GitFormatError extends Error {
  override name = 'GitFormatError';
}

export function isObjectId(s: string): boolean {
  return HEX40.test(s);
}

/** Objects up to this size are hashed in one call over a copy; larger ones are streamed into a Hash without a copy. */
const ONE_SHOT_MAX = 64 * 1024;
const scratch = Buffer.allocUnsafeSlow(ONE_SHOT_MAX + 32);

/** Writes "<type> <size>\0" in JS: Buffer.write is a call into C++, which costs more than these few bytes. */
function writeHeader(out: Buffer, type: ObjectType, size: number): number {
  let at = 0;
  for (let k = 0; k < type.length; k++) out[at++] = type.charCodeAt(k);
  out[at++] = 0x20;
  const digits = String(size);
  for (let k = 0; k < digits.length; k++) out[at++] = digits.charCodeAt(k);
  out[at++] = 0;
  return at;
}

/**
 * Ids of large objects hashed elsewhere (a worker thread) from these very buffers, so the main thread does not hash tens
 * of MiB again. Keyed by the buffer object: only code that made the buffer and will not change it may record one.
 */
const knownIds = new WeakMap<Uint8Array, { type: ObjectType; id: ObjectId }>();

/** Records that `data` (never to be modified) hashes to `id` as an object of `type`. */
export function rememberObjectId(type: ObjectType, data: Buffer, id: ObjectId): void {
  if (data.length > ONE_SHOT_MAX) knownIds.set(data, { type, id });
}

export function hashObject(type: ObjectType, data: Buffer): ObjectId {
  if (data.length > ONE_SHOT_MAX) {
    const known = knownIds.get(data);
    if (known !== undefined && known.type === type) return known.id;
  }
  const at = writeHeader(scratch, type, data.length);
  if (data.length > ONE_SHOT_MAX) return createHash('sha1').update(scratch.subarray(0, at)).update(data).digest('hex');
  // crypto.hash is one native call, where createHash().update().update().digest() is four and an object.
  scratch.set(data, at);
  return hash('sha1', scratch.subarray(0, at + data.length), 'hex');
}

// ---------------------------------------------------------------- trees

export type FileMode = '100644' | '100755' | '120000' | '40000' | '160000';
export const MODE_FILE: FileMode = '100644';
export const MODE_EXEC: FileMode = '100755';
export const MODE_SYMLINK: FileMode = '120000';
export const MODE_TREE: FileMode = '40000';
export const MODE_GITLINK: FileMode = '160000';

export interface TreeEntry {
  mode: FileMode;
  name: string;
  id: ObjectId;
}

export function entryKind(mode: FileMode): 'blob' | 'tree' | 'commit' {
  if (mode === MODE_TREE) return 'tree';
  if (mode === MODE_GITLINK) return 'commit';
  return 'blob';
}

/** Git orders tree entries by name bytes, with a directory compared as if its name ended in '/'. */
export function compareTreeEntries(a: TreeEntry, b: TreeEntry): number {
  const an = Buffer.from(a.mode === MODE_TREE ? a.name + '/' : a.name, 'utf8');
  const bn = Buffer.from(b.mode === MODE_TREE ? b.name + '/' : b.name, 'utf8');
  return Buffer.compare(an, bn);
}

export function encodeTree(entries: readonly TreeEntry[]): Buffer {
  // Sort keys computed once per entry (not per comparison): trees with many entries are rebuilt on every commit.
  const keyed = entries.map((e) => ({ e, key: Buffer.from(e.mode === MODE_TREE ? e.name + '/' : e.name, 'utf8') }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  let size = 0;
  for (const { e, key } of keyed) size += e.mode.length + 1 + (e.mode === MODE_TREE ? key.length - 1 : key.length) + 1 + 20;
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const { e, key } of keyed) {
    at += out.write(e.mode, at, 'latin1');
    out[at++] = 0x20;
    at += key.copy(out, at, 0, e.mode === MODE_TREE ? key.length - 1 : key.length);
    out[at++] = 0;
    at += out.write(e.id, at, 20, 'hex');
  }
  return out;
}

const MODES = new Set<string>(['100644', '100755', '120000', '40000', '160000']);
// Old repositories may carry legacy modes; git normalises them on read the same way.
function normaliseMode(raw: string): FileMode {
  if (MODES.has(raw)) return raw as FileMode;
  if (raw === '040000') return MODE_TREE;
  if (/^100[0-7]{3}$/.test(raw)) return (parseInt(raw.slice(3), 8) & 0o111) !== 0 ? MODE_EXEC : MODE_FILE;
  throw new GitFormatError(`invalid tree entry mode ${JSON.stringify(raw)}`);
}

export function decodeTree(data: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) throw new GitFormatError('truncated tree entry');
    const mode = normaliseMode(data.toString('latin1', i, sp));
    const name = data.toString('utf8', sp + 1, nul);
    const id = data.toString('hex', nul + 1, nul + 21);
    entries.push({ mode, name, id });
    i = nul + 21;
  }
  return entries;
}

// ---------------------------------------------------------------- identities

export interface Identity {
  name: string;
  email: string;
  /** Seconds since the epoch. */
  timestamp: number;
  /** Git's "+hhmm" / "-hhmm". */
  timezone: string;
}

export function formatIdentity(p: Identity): string {
  return `${p.name} <${p.email}> ${p.timestamp} ${p.timezone}`;
}

export function parseIdentity(s: string): Identity {
  // git (fsck_ident) allows extra spaces and tabs before the date, as old tools wrote them.
  const m = /^(.*?) ?<([^>]*)> [ \t]*(-?\d+) ([+-]\d{4})$/.exec(s);
  if (!m) throw new GitFormatError(`invalid identity line ${JSON.stringify(s)}`);
  return { name: m[1], email: m[2], timestamp: Number(m[3]), timezone: m[4] };
}

/**
 * The dates an identity may be given as: RFC 3339 / ISO-8601 extended format with seconds and an explicit offset ("Z" or
 * "±hh:mm"); fractions of a second are allowed and dropped (git keeps whole seconds). A date without an offset is refused
 * rather than read in the agent's zone, which the client cannot know.
 */
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/**
 * Converts an ISO-8601 date-time with an offset to git's identity time ("<seconds> ±hhmm"), refusing what git would not
 * write or would write as another date:
 * - impossible calendar dates and times (git's parser silently rolls 2024-02-30 over to March 1st);
 * - instants before 1970-01-01T00:00:00Z: git stores unsigned seconds (a "-" is fsck's badDateOverflow);
 * - local times before 1970 (1969-12-31T23:30:00-01:00 is after the epoch in UTC): git stores them, but `git log` then
 *   dies with "Timestamp before Unix epoch" (gm_time_t in date.c);
 * - offsets of 24 hours or more, or with 60 minutes or more: git's date parser (match_tz in date.c) does not take them
 *   as an offset at all, and nothing real is that far from UTC (the extremes are -12:00 and +14:00);
 * - years past 9999 cannot be written in this format; they are far below git's own limit (date_overflows: the largest
 *   time_t, year ~292 billion), so every date accepted here passes `git fsck --strict` (badDateOverflow, badTimezone).
 * "-00:00" is written "+0000", as git writes every zero offset.
 */
export function identityTime(iso: string | undefined, now: Date = new Date()): { timestamp: number; timezone: string } {
  if (iso === undefined) return { timestamp: Math.floor(now.getTime() / 1000), timezone: '+0000' };
  const m = ISO_DATE_TIME.exec(iso);
  if (!m) {
    throw new GitFormatError(`${JSON.stringify(iso)} is not an ISO-8601 date-time with seconds and an offset (e.g. 2024-05-01T12:00:00+02:00 or 2024-05-01T10:00:00Z)`);
  }
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) {
    throw new GitFormatError(`${JSON.stringify(iso)} is not a valid calendar date and time`);
  }
  const sign = m[7] === '-' ? -1 : 1;
  const offsetHours = m[8] === undefined ? 0 : Number(m[8]);
  const offsetMinutes = m[9] === undefined ? 0 : Number(m[9]);
  if (offsetHours > 23 || offsetMinutes > 59) throw new GitFormatError(`offset of ${JSON.stringify(iso)} is not one git accepts (from -23:59 to +23:59)`);
  const offset = sign * (offsetHours * 60 + offsetMinutes);
  if (year < 1970) throw new GitFormatError(`${JSON.stringify(iso)} is before 1970, which git cannot store or show`);
  const timestamp = Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset * 60;
  if (timestamp < 0) throw new GitFormatError(`${JSON.stringify(iso)} is before 1970-01-01T00:00:00Z, which git cannot store`);
  const abs = Math.abs(offset);
  const timezone = `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
  return { timestamp, timezone };
}

// ---------------------------------------------------------------- commits and tags

export interface Commit {
  tree: ObjectId;
  parents: ObjectId[];
  author: Identity;
  committer: Identity;
  /** Headers git does not interpret here (gpgsig, encoding, mergetag), kept verbatim so ids survive a round trip. */
  extraHeaders: [string, string][];
  message: string;
}

export interface Tag {
  object: ObjectId;
  type: ObjectType;
  tag: string;
  tagger?: Identity;
  extraHeaders: [string, string][];
  message: string;
}

function encodeHeaderValue(key: string, value: string): string {
  return `${key} ${value.replace(/\n/g, '\n ')}\n`;
}

export function encodeCommit(c: Commit): Buffer {
  let s = `tree ${c.tree}\n`;
  for (const p of c.parents) s += `parent ${p}\n`;
  s += `author ${formatIdentity(c.author)}\n`;
  s += `committer ${formatIdentity(c.committer)}\n`;
  for (const [k, v] of c.extraHeaders) s += encodeHeaderValue(k, v);
  s += `\n${c.message}`;
  return Buffer.from(s, 'utf8');
}

export function encodeTag(t: Tag): Buffer {
  let s = `object ${t.object}\ntype ${t.type}\ntag ${t.tag}\n`;
  if (t.tagger) s += `tagger ${formatIdentity(t.tagger)}\n`;
  for (const [k, v] of t.extraHeaders) s += encodeHeaderValue(k, v);
  s += `\n${t.message}`;
  return Buffer.from(s, 'utf8');
}

function parseHeaders(data: Buffer): { headers: [string, string][]; message: string } {
  const text = data.toString('utf8');
  const end = text.indexOf('\n\n');
  const head = end < 0 ? text : text.slice(0, end);
  const message = end < 0 ? '' : text.slice(end + 2);
  const headers: [string, string][] = [];
  for (const line of head.split('\n')) {
    if (line === '') continue;
    if (line.startsWith(' ') && headers.length > 0) {
      headers[headers.length - 1][1] += '\n' + line.slice(1);
      continue;
    }
    const sp = line.indexOf(' ');
    if (sp <= 0) throw new GitFormatError(`invalid header line ${JSON.stringify(line)}`);
    headers.push([line.slice(0, sp), line.slice(sp + 1)]);
  }
  return { headers, message };
}

export function decodeCommit(data: Buffer): Commit {
  const { headers, message } = parseHeaders(data);
  let tree: string | undefined;
  const parents: ObjectId[] = [];
  let author: Identity | undefined;
  let committer: Identity | undefined;
  const extraHeaders: [string, string][] = [];
  for (const [k, v] of headers) {
    if (k === 'tree' && tree === undefined) tree = v;
    else if (k === 'parent') parents.push(v);
    else if (k === 'author' && !author) author = parseIdentity(v);
    else if (k === 'committer' && !committer) committer = parseIdentity(v);
    else extraHeaders.push([k, v]);
  }
  if (!tree || !isObjectId(tree) || !author || !committer || parents.some((p) => !isObjectId(p))) {
    throw new GitFormatError('malformed commit object');
  }
  return { tree, parents, author, committer, extraHeaders, message };
}

export function decodeTag(data: Buffer): Tag {
  const { headers, message } = parseHeaders(data);
  const get = (k: string) => headers.find(([hk]) => hk === k)?.[1];
  const object = get('object');
  const type = get('type') as ObjectType | undefined;
  const tag = get('tag');
  const taggerLine = get('tagger');
  if (!object || !isObjectId(object) || !type || !OBJECT_TYPES.includes(type) || tag === undefined) {
    throw new GitFormatError('malformed tag object');
  }
  const known = new Set(['object', 'type', 'tag', 'tagger']);
  return {
    object,
    type,
    tag,
    tagger: taggerLine ? parseIdentity(taggerLine) : undefined,
    extraHeaders: headers.filter(([k]) => !known.has(k)),
    message,
  };
}
