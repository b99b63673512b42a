// Hand-made hostile bundles for the limits tests: decompression bombs (a blob of zeros inflating to hundreds of MiB from a
// few hundred KiB, deltas describing huge objects in a few KiB), trees nested too deep or with paths too long. Each
// bundle is otherwise valid: a branch at a real commit whose objects are all there, so only the limit can refuse it.
import { createHash } from 'node:crypto';
import { createDeflate, deflateSync } from 'node:zlib';
import { encodeCommit, encodeTree, hashObject, type GitObject, type ObjectId, type ObjectType } from '../../src/git/objects.js';
import { CODE_BY_TYPE } from '../../src/git/pack-reader.js';
import { encodeEntryHeader } from '../../src/git/pack-writer.js';

/** One pack entry, its payload already deflated. */
export interface RawEntry {
  code: number;
  /** Size the entry header declares. */
  size: number;
  deflated: Buffer;
  /** REF_DELTA base. */
  baseId?: ObjectId;
}

export function entryOf(o: GitObject): RawEntry {
  return { code: CODE_BY_TYPE[o.type], size: o.data.length, deflated: deflateSync(o.data) };
}

/** A v2 bundle with `refs` over a pack of `entries` (checksummed). */
export function rawBundle(refs: { name: string; id: ObjectId }[], entries: RawEntry[]): Buffer {
  const head = Buffer.alloc(12);
  head.write('PACK', 0, 'latin1');
  head.writeUInt32BE(2, 4);
  head.writeUInt32BE(entries.length, 8);
  const parts: Buffer[] = [head];
  for (const e of entries) {
    parts.push(encodeEntryHeader(e.code, e.size));
    if (e.baseId) parts.push(Buffer.from(e.baseId, 'hex'));
    parts.push(e.deflated);
  }
  const pack = Buffer.concat(parts);
  const header = `# v2 git bundle\n${refs.map((r) => `${r.id} ${r.name}\n`).join('')}\n`;
  return Buffer.concat([Buffer.from(header), pack, createHash('sha1').update(pack).digest()]);
}

/** Objects with ids, in the order given. */
export class ObjectSet {
  readonly list: (GitObject & { id: ObjectId })[] = [];
  put(type: ObjectType, data: Buffer): ObjectId {
    const id = hashObject(type, data);
    this.list.push({ id, type, data });
    return id;
  }
  commit(tree: ObjectId, message = 'hostile\n', parents: ObjectId[] = []): ObjectId {
    const who = { name: 'H', email: 'h@example.com', timestamp: 1700000000, timezone: '+0000' };
    return this.put('commit', encodeCommit({ tree, parents, author: who, committer: who, extraHeaders: [], message }));
  }
  entries(): RawEntry[] {
    return this.list.map(entryOf);
  }
}

/** A small valid commit (one file) to carry the hostile objects: its objects and id. */
export function carrier(): { objects: ObjectSet; commit: ObjectId } {
  const objects = new ObjectSet();
  const blob = objects.put('blob', Buffer.from('carrier\n'));
  const tree = objects.put('tree', encodeTree([{ mode: '100644', name: 'README', id: blob }]));
  return { objects, commit: objects.commit(tree) };
}

/** `size` zero bytes deflated as one stream, without ever holding them: ~1 KiB of output per MiB. */
export async function deflatedZeros(size: number): Promise<Buffer> {
  const deflate = createDeflate({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (d: Buffer) => out.push(d));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const chunk = Buffer.alloc(1 << 20);
  for (let left = size; left > 0; left -= chunk.length) {
    if (!deflate.write(left >= chunk.length ? chunk : chunk.subarray(0, left))) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await done;
  return Buffer.concat(out);
}

/**
 * A zip bomb: a bundle of a few hundred KiB whose pack holds a blob of `size` zeros (512 MiB: ~510 KiB of bundle).
 * `declared` makes the entry header lie about the size (the inflater must stop at the declared size).
 */
export async function zeroBlobBundle(size: number, declared = size): Promise<Buffer> {
  const { objects, commit } = carrier();
  return rawBundle([{ name: 'refs/heads/main', id: commit }], [...objects.entries(), { code: 3, size: declared, deflated: await deflatedZeros(size) }]);
}

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/**
 * A delta bomb: `count` REF_DELTA entries against a 64 KiB blob, each made of one-byte "copy 64 KiB" instructions that
 * honestly describe a `resultSize` object (8 KiB of instructions, deflated to almost nothing, per 512 MiB).
 */
export function deltaBombBundle(resultSize: number, count = 1): Buffer {
  const { objects, commit } = carrier();
  const base = Buffer.alloc(0x10000, 'b');
  const baseId = objects.put('blob', base);
  const delta = Buffer.concat([Buffer.from([...varint(base.length), ...varint(resultSize)]), Buffer.alloc(Math.ceil(resultSize / 0x10000), 0x80)]);
  const entry: RawEntry = { code: 7, size: delta.length, deflated: deflateSync(delta, { level: 9 }), baseId };
  return rawBundle([{ name: 'refs/heads/main', id: commit }], [...objects.entries(), ...Array.from({ length: count }, () => entry)]);
}

/** A commit whose tree nests `depth` directories (paths of depth + 1 components). */
export function deepTreeBundle(depth: number): Buffer {
  const objects = new ObjectSet();
  let tree = objects.put('tree', encodeTree([{ mode: '100644', name: 'f', id: objects.put('blob', Buffer.from('deep\n')) }]));
  for (let i = 0; i < depth; i++) tree = objects.put('tree', encodeTree([{ mode: '40000', name: 'd', id: tree }]));
  const commit = objects.commit(tree);
  return rawBundle([{ name: 'refs/heads/main', id: commit }], objects.entries());
}

/** A commit with one file whose path is `parts` directories of `nameBytes` bytes each, then "f". */
export function longPathBundle(parts: number, nameBytes: number): Buffer {
  const objects = new ObjectSet();
  let tree = objects.put('tree', encodeTree([{ mode: '100644', name: 'f', id: objects.put('blob', Buffer.from('long\n')) }]));
  for (let i = 0; i < parts; i++) tree = objects.put('tree', encodeTree([{ mode: '40000', name: String.fromCharCode(97 + (i % 26)).repeat(nameBytes), id: tree }]));
  const commit = objects.commit(tree);
  return rawBundle([{ name: 'refs/heads/main', id: commit }], objects.entries());
}
