// Strict base64 (RFC 4648 §4, padded, no whitespace) checked in linear time: a regex with a repeated group recursed once
// per 4 characters and overflowed the stack at ~3 MB of content. Node's own decoder skips anything it does not know,
// so the alphabet and padding are checked here first.

/** Any character outside the base64 alphabet (the check is a linear scan by the regex engine, no backtracking). */
const OUTSIDE_ALPHABET = /[^A-Za-z0-9+/]/;

/** The number of bytes `s` decodes to, or -1 when it is not strict base64. */
export function base64DecodedLength(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  if (n === 0) return 0;
  const pad = s.charCodeAt(n - 1) !== 0x3d ? 0 : s.charCodeAt(n - 2) !== 0x3d ? 1 : 2;
  if (OUTSIDE_ALPHABET.test(pad === 0 ? s : s.slice(0, n - pad))) return -1;
  return (n / 4) * 3 - pad;
}

/** Decodes strict base64, or returns undefined when `s` is not. */
export function decodeBase64(s: string): Buffer | undefined {
  const length = base64DecodedLength(s);
  if (length < 0) return undefined;
  return Buffer.from(s, 'base64');
}
