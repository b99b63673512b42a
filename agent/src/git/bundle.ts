// Git bundles: a text header ("# v2 git bundle" or "# v3 git bundle", v3 capability lines "@key[=value]",
// prerequisite lines "-<id> [comment]", ref lines "<id> <refname>"), a blank line, then a pack. See gitformat-bundle(5).
import { GitFormatError, isObjectId, type GitObject, type ObjectId } from './objects.js';
import { PACK_SIGNATURE } from './pack-reader.js';
import { writePack } from './pack-writer.js';

export interface BundleRef {
  /** e.g. "refs/heads/main" or "HEAD" */
  name: string;
  id: ObjectId;
}

export interface Bundle {
  version: 2 | 3;
  refs: BundleRef[];
  prerequisites: { id: ObjectId; comment: string }[];
  /** The pack as it appears in the bundle; parse it with readPack (with the prerequisites as external objects). */
  pack: Buffer;
}

const SIGNATURES: ReadonlyArray<[string, 2 | 3]> = [
  ['# v2 git bundle\n', 2],
  ['# v3 git bundle\n', 3],
];
const OID_HEX = /^[0-9a-fA-F]{40}/;
const WS = /\s/;
/** A header longer than this is not a bundle header (git reads it line by line; we refuse to scan without end). */
const MAX_HEADER_LINE = 64 * 1024;

function printable(s: string): string {
  return JSON.stringify(s.length > 80 ? s.slice(0, 80) + '…' : s);
}

function parseCapability(cap: string): void {
  const eq = cap.indexOf('=');
  const key = eq < 0 ? cap : cap.slice(0, eq);
  const value = eq < 0 ? undefined : cap.slice(eq + 1);
  if (key === 'object-format') {
    if (value !== 'sha1') throw new GitFormatError(`unsupported bundle object format ${printable(value ?? '')}: only sha1 is supported`);
    return;
  }
  if (key === 'filter') throw new GitFormatError(`unsupported bundle capability ${printable(cap)}: filtered (partial) bundles are not supported`);
  throw new GitFormatError(`unknown bundle capability ${printable(cap)}`);
}

export function parseBundle(buf: Buffer): Bundle {
  let version: 2 | 3 | undefined;
  let pos = 0;
  for (const [sig, v] of SIGNATURES) {
    if (buf.length >= sig.length && buf.toString('latin1', 0, sig.length) === sig) {
      version = v;
      pos = sig.length;
    }
  }
  if (version === undefined) {
    const firstLine = buf.toString('utf8', 0, Math.min(buf.length, 40)).split('\n')[0];
    throw new GitFormatError(`not a git bundle (v2 or v3): header starts ${printable(firstLine)}`);
  }

  const refs: BundleRef[] = [];
  const prerequisites: { id: ObjectId; comment: string }[] = [];
  for (;;) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) throw new GitFormatError('truncated bundle: header is not terminated by a blank line');
    if (nl - pos > MAX_HEADER_LINE) throw new GitFormatError('bundle header line too long');
    const raw = buf.toString('utf8', pos, nl);
    pos = nl + 1;
    if (raw === '') break;
    const line = raw.trimEnd();

    if (version === 3 && line.startsWith('@')) {
      parseCapability(line.slice(1));
      continue;
    }
    const isPrereq = line.startsWith('-');
    const body = isPrereq ? line.slice(1) : line;
    const m = OID_HEX.exec(body);
    const rest = m ? body.slice(40) : '';
    if (!m || (rest !== '' && !WS.test(rest[0])) || (!isPrereq && rest.length < 2)) {
      throw new GitFormatError(`unrecognised bundle header line ${printable(raw)}`);
    }
    const id = m[0].toLowerCase();
    if (isPrereq) {
      prerequisites.push({ id, comment: rest.slice(1) });
    } else {
      const name = rest.slice(1);
      if (/[\x00-\x20\x7f]/.test(name)) throw new GitFormatError(`invalid ref name in bundle header ${printable(name)}`);
      refs.push({ name, id });
    }
  }

  const pack = buf.subarray(pos);
  if (pack.length < 4 || pack.toString('latin1', 0, 4) !== PACK_SIGNATURE) {
    throw new GitFormatError('bundle does not contain a pack after its header');
  }
  return { version, refs, prerequisites, pack };
}

/** The header of a v2 bundle with the given refs and no prerequisites, up to and including the blank line. */
export function bundleHeader(refs: BundleRef[]): Buffer {
  let header = '# v2 git bundle\n';
  for (const r of refs) {
    if (!isObjectId(r.id)) throw new GitFormatError(`invalid object id for bundle ref ${printable(r.name)}: ${printable(r.id)}`);
    if (r.name === '' || /[\x00-\x20\x7f]/.test(r.name)) throw new GitFormatError(`invalid bundle ref name ${printable(r.name)}`);
    header += `${r.id} ${r.name}\n`;
  }
  header += '\n';
  return Buffer.from(header, 'utf8');
}

/** Writes a v2 bundle with the given refs (no prerequisites) and a pack of the given objects. */
export function writeBundle(refs: BundleRef[], objects: Iterable<GitObject>, count?: number): Buffer {
  return Buffer.concat([bundleHeader(refs), writePack(objects, count)]);
}
