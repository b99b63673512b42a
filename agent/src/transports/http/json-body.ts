// Parsing a JSON request body from its raw bytes, strictly: the body must be UTF-8 (RFC 8259 §8.1), every string in it
// must be well-formed Unicode (no lone surrogates, which JSON can spell as "\ud800" but UTF-8 cannot encode, so they
// could never be stored in a path, a message or a name), and no key may reach an object's prototype ("__proto__", or
// "constructor" holding "prototype"), as fastify's own parser refuses. A pure function of the bytes, with no fastify in
// it, so that large bodies can be parsed on a worker thread.
//
// Cost: the checks that run on every body are one native scan (`isUtf8`) and substring searches; the walk over the parsed
// value runs only when the text holds a "\u" escape or one of the two dangerous key names, which ordinary bodies
// (JSON.stringify escapes only control characters and lone surrogates) rarely do.
import { isUtf8 } from 'node:buffer';
import { GovcError, invalid } from '../../errors.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Parses a JSON body; throws a 400 GovcError (`invalid_utf8` or `invalid_json`) for anything but strict UTF-8 JSON. */
export function parseJsonBody(buf: Buffer): unknown {
  // A leading byte order mark is allowed to be ignored by RFC 8259 §8.1; fastify's parser ignored it too.
  const text = buf.length >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2] ? buf.subarray(3) : buf;
  if (text.length === 0) throw invalid('invalid_json', 'the JSON body is empty');
  if (!isUtf8(text)) throw invalid('invalid_utf8', `the JSON body is not valid UTF-8 (at byte ${firstBadUtf8Byte(text)})`);
  const source = text.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (e) {
    throw invalid('invalid_json', `the body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  // Searched in the decoded text: as fast as in the bytes for large bodies, and no native call for small ones.
  if (source.includes('\\u') || source.includes('__proto__') || source.includes('constructor')) checkValue(value);
  return value;
}

/** Walks a parsed value without recursion (bodies may nest as deep as the body limit allows). */
function checkValue(root: unknown): void {
  const stack: { value: unknown; at: string }[] = [{ value: root, at: '' }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const { value, at } = next;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) throw loneSurrogate(at);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) stack.push({ value: value[i], at: `${at}/${i}` });
      continue;
    }
    for (const key of Object.keys(value)) {
      const child = (value as Record<string, unknown>)[key];
      const where = `${at}/${pointerToken(key)}`;
      if (!key.isWellFormed()) throw loneSurrogate(`${at} (a key)`);
      if (key === '__proto__') throw invalid('invalid_json', `the body has a forbidden key "__proto__" at ${where}`);
      if (key === 'constructor' && child !== null && typeof child === 'object' && Object.hasOwn(child, 'prototype')) {
        throw invalid('invalid_json', `the body has a forbidden key "constructor.prototype" at ${where}`);
      }
      stack.push({ value: child, at: where });
    }
  }
}

function loneSurrogate(at: string): GovcError {
  return invalid('invalid_utf8', `the string at ${at || '/'} holds a lone UTF-16 surrogate, which UTF-8 cannot encode`);
}

/** A JSON Pointer (RFC 6901) token for `key`, with its surrogates made printable so the message itself stays valid. */
function pointerToken(key: string): string {
  return key.toWellFormed().replace(/~/g, '~0').replace(/\//g, '~1');
}

/** How much of a body is checked at a time when looking for where it stops being UTF-8 (error path only). */
const LOCATE_STEP = 64 * 1024;

/**
 * Offset of the first byte of the first character that is not UTF-8; called only once the body is known to be invalid.
 * Linear: whole chunks are checked natively (each cut moved back onto a character boundary), then the one bad chunk is
 * bisected.
 */
function firstBadUtf8Byte(buf: Buffer): number {
  let start = 0;
  while (start < buf.length) {
    let end = Math.min(buf.length, start + LOCATE_STEP);
    // A continuation byte (10xxxxxx) at the cut belongs to a character begun at most 3 bytes before it.
    for (let back = 0; end < buf.length && back < 3 && end > start + 1 && (buf[end] & 0xc0) === 0x80; back++) end--;
    if (!isUtf8(buf.subarray(start, end))) break;
    start = end;
  }
  return start + longestUtf8Prefix(buf.subarray(start, Math.min(buf.length, start + LOCATE_STEP + 4)));
}

/** Length of the longest prefix of `b` that is UTF-8, by bisection over O(log n) native checks. */
function longestUtf8Prefix(b: Buffer): number {
  // "A prefix of length n, n-1, n-2 or n-3 is UTF-8" holds exactly for n <= L + 3, L the answer: it is monotone.
  const near = (n: number) => [0, 1, 2, 3].some((j) => n - j >= 0 && isUtf8(b.subarray(0, n - j)));
  let lo = 0;
  let hi = b.length;
  if (near(hi)) lo = hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (near(mid)) lo = mid;
    else hi = mid;
  }
  while (lo > 0 && !isUtf8(b.subarray(0, lo))) lo--;
  return lo;
}
