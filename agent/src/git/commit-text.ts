// A commit as `git log` shows it: when its `encoding` header names something other than UTF-8, the identities and the
// message are converted from that encoding (git's logmsg_reencode); an encoding nobody knows, or bytes that are not
// valid in it, leave the text as UTF-8, as git leaves the bytes alone when iconv fails.
import { TextDecoder } from 'node:util';
import { decodeCommit, parseIdentity, type Commit, type Identity } from './objects.js';

const UTF8 = /^utf-?8$/i;
// ISO-8859-1 byte for byte (WHATWG's TextDecoder reads this label as windows-1252, iconv does not).
const LATIN1 = /^(iso[-_]?8859-1(:1987)?|iso_8859-1|latin-?1|l1|cp819|ibm819|iso-ir-100|csisolatin1)$/i;

type Decode = (bytes: Buffer) => string;

function decoderFor(label: string): Decode | undefined {
  if (LATIN1.test(label)) return (b) => b.toString('latin1');
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label, { fatal: true });
  } catch {
    return undefined; // a label this runtime does not know
  }
  return (b) => decoder.decode(b);
}

/** Like decodeCommit, with the `encoding` header honoured for names, emails and the message. */
export function decodeCommitText(data: Buffer): Commit {
  const commit = decodeCommit(data);
  const label = commit.extraHeaders.find(([k]) => k === 'encoding')?.[1]?.trim();
  if (!label || UTF8.test(label)) return commit;
  const decode = decoderFor(label);
  if (!decode) return commit;
  // The raw bytes, one char per byte: headers are split exactly as decodeCommit split them.
  const raw = data.toString('latin1');
  const end = raw.indexOf('\n\n');
  const head = end < 0 ? raw : raw.slice(0, end);
  const convert = (s: string) => decode(Buffer.from(s, 'latin1'));
  const identity = (key: string): Identity | undefined => {
    const line = head.split('\n').find((l) => l.startsWith(`${key} `));
    if (!line) return undefined;
    const p = parseIdentity(line.slice(key.length + 1));
    return { ...p, name: convert(p.name), email: convert(p.email) };
  };
  try {
    const author = identity('author') ?? commit.author;
    const committer = identity('committer') ?? commit.committer;
    const message = end < 0 ? '' : convert(raw.slice(end + 2));
    return { ...commit, author, committer, message };
  } catch {
    return commit; // bytes that are not valid in the named encoding
  }
}
