// Bundle import, the heavy part, run in a worker thread: parse the bundle, inflate and resolve its pack within the
// limits, hash every object, run git's fsck checks (fsckObject on every object, then fsckLinks on the new ones against
// the repository, then fsckRef on every ref), check the trees' shape, that every ref is connected and only
// fast-forwards. The repository is read through a snapshot of its object store (shared memory, no copy); the result is
// the new objects already laid out as store records, which the main thread adopts without copying, and the ref updates
// it applies by compare-and-swap (commands/bundle-import.ts). Nothing here changes the repository.
import { conflict, invalid, tooLarge, unprocessable, GovcError } from '../errors.js';
import { parseBundle, type BundleRef } from '../git/bundle.js';
import { fsckLinks, fsckObject, fsckRef, FsckError, type IdentifiedObject } from '../git/fsck/index.js';
import { isAncestor } from '../git/merge-base.js';
import { decodeCommit, decodeTag, GitFormatError, isObjectId, type GitObject, type ObjectId, type ObjectReader } from '../git/objects.js';
import { PackLimitError, readPack, readPackHeader } from '../git/pack-reader.js';
import { refNameProblem } from '../git/refname.js';
import { TreeLimitError, TreeShapes } from '../git/tree-shape.js';
import type { Limits } from '../limits.js';
import { Arena, RECORD_HEADER, TYPE_CODES } from '../store/arena.js';
import { chunkedBatch, type ChunkLimits } from '../store/import-chunks.js';
import type { StoreSnapshot } from '../store/object-store.js';
import type { RecordBatchData } from '../store/record-batch.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import type { RefUpdate } from '../store/repository.js';

export interface ImportTaskInput {
  bundle: Uint8Array;
  snapshot: StoreSnapshot;
  /** The repository's refs when the snapshot was taken. */
  refs: [string, ObjectId][];
  limits: Limits;
  /** How the main thread will cut the new objects into changes (default DEFAULT_CHUNK_LIMITS). */
  chunks?: ChunkLimits;
}

export interface ImportTaskOutput {
  /** The bundle's refs as its header lists them (HEAD included). */
  bundleRefs: BundleRef[];
  /** Creations and fast-forwards, `old` being the value in the snapshot. */
  updates: RefUpdate[];
  objects: RecordBatchData;
}

/** A refused object as the REST API reports it: 422 fsck_failed with git's message id and the object. */
export function fsckFailed(e: FsckError): GovcError {
  return unprocessable('fsck_failed', e.message, { check: e.check, object: e.objectId });
}

/** GitFormatError from parsing becomes 400 invalid_bundle; limits 413/422; fsck 422. */
function refusal(e: unknown): unknown {
  if (e instanceof FsckError) return fsckFailed(e);
  if (e instanceof PackLimitError) {
    if (e.limit === 'count') return tooLarge('too_many_objects', `bundle refused: ${e.message}`);
    if (e.limit === 'object') return tooLarge('object_too_large', `bundle refused: ${e.message}`);
    return tooLarge('import_too_large', `bundle refused: ${e.message}`);
  }
  if (e instanceof TreeLimitError) {
    const code = e.limit === 'depth' ? 'tree_too_deep' : 'path_too_long';
    return unprocessable(code, `bundle refused: ${e.message}`, { object: e.treeId });
  }
  if (e instanceof GitFormatError) return invalid('invalid_bundle', `not a valid git bundle: ${e.message}`);
  return e;
}

/** Pack objects over the repository's snapshot: what the import's checks read. */
class Overlay implements ObjectReader {
  constructor(
    readonly incoming: Map<ObjectId, GitObject>,
    readonly base: SnapshotReader,
  ) {}
  readObject(id: ObjectId): GitObject | undefined {
    return this.incoming.get(id) ?? this.base.readObject(id);
  }
}

export function importTask(input: ImportTaskInput): ImportTaskOutput {
  try {
    return checkBundle(input);
  } catch (e) {
    throw refusal(e);
  }
}

function checkBundle(input: ImportTaskInput): ImportTaskOutput {
  const { bundle: raw, snapshot, refs, limits } = input;
  const base = new SnapshotReader(snapshot);
  const bundle = parseBundle(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
  for (const p of bundle.prerequisites) {
    if (!base.has(p.id)) throw invalid('missing_prerequisite', `bundle needs commit ${p.id}, which this repository lacks`);
  }
  const { count } = readPackHeader(bundle.pack);
  if (count > limits.maxImportObjects) {
    throw tooLarge('too_many_objects', `bundle refused: it holds ${count} objects, over the limit of ${limits.maxImportObjects}`);
  }
  const packed = readPack(bundle.pack, base, {
    maxObjectSize: limits.maxObjectBytes, maxTotalSize: limits.maxImportBytes, maxObjects: limits.maxImportObjects,
  });

  // Every object on its own, then new ones move into store records (the pack's buffers can go as they are copied).
  const arena = new Arena();
  const incoming = new Map<ObjectId, GitObject>();
  const fresh: IdentifiedObject[] = [];
  const chunkOf: number[] = [];
  const offsets: number[] = [];
  const lengths: number[] = [];
  const types: number[] = [];
  for (let i = 0; i < packed.length; i++) {
    const o = packed[i];
    fsckObject(o.id, o.type, o.data);
    if (incoming.has(o.id) || base.has(o.id)) continue;
    const [chunk, offset] = arena.append(o.type, o.data);
    const data = arena.chunks[chunk - 1].subarray(offset + RECORD_HEADER, offset + RECORD_HEADER + o.data.length);
    incoming.set(o.id, { type: o.type, data });
    fresh.push({ id: o.id, type: o.type, data });
    chunkOf.push(chunk - 1);
    offsets.push(offset);
    lengths.push(o.data.length);
    types.push(TYPE_CODES[o.type]);
  }
  packed.length = 0;

  const overlay = new Overlay(incoming, base);
  const shapes = new TreeShapes(overlay, limits);
  for (const o of fresh) if (o.type === 'tree') shapes.check(o.id);

  const named = bundle.refs.filter((r) => r.name !== 'HEAD');
  const connected = new Set<ObjectId>();
  for (const r of named) {
    const problem = refNameProblem(r.name);
    if (problem || !r.name.startsWith('refs/') || !isObjectId(r.id)) throw invalid('invalid_bundle', `bundle ref ${JSON.stringify(r.name)} is invalid`);
    checkConnected(overlay, r.id, connected);
  }
  fsckLinks(fresh, overlay);
  for (const r of named) fsckRef(r.name, r.id, overlay);

  const current = new Map(refs);
  const updates: RefUpdate[] = [];
  for (const r of named) {
    const old = current.get(r.name) ?? null;
    if (old === r.id) continue;
    if (old !== null && !(r.name.startsWith('refs/heads/') && fastForwards(overlay, old, r.id))) {
      throw conflict('non_fast_forward', `bundle would move ${r.name} from ${old} to ${r.id}, which is not a fast-forward`, {
        ref: r.name, current: old,
      });
    }
    updates.push({ name: r.name, old, new: r.id });
  }
  // Applied in chunks when large (store/import-chunks.ts), each linking only to what came before.
  const chunks = arena.chunks.map((c) => c.buffer as SharedArrayBuffer);
  return { bundleRefs: bundle.refs, updates, objects: chunkedBatch({ fresh, chunks, chunkOf, offsets, lengths, types }, input.chunks) };
}

/** Whether `to` descends from `from`; a ref whose objects are not commits cannot fast-forward. */
function fastForwards(reader: ObjectReader, from: ObjectId, to: ObjectId): boolean {
  try {
    return isAncestor(reader, from, to);
  } catch (e) {
    if (e instanceof GitFormatError) return false;
    throw e;
  }
}

/**
 * Every object reachable from `id` must be present (in the repository or the bundle). Objects already in the repository
 * are connected by construction, so the walk stops there; `seen` is shared across refs so history is walked once.
 */
function checkConnected(reader: Overlay, id: ObjectId, seen: Set<ObjectId>): void {
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (seen.has(cur) || (!reader.incoming.has(cur) && reader.base.has(cur))) continue;
    seen.add(cur);
    const o = reader.incoming.get(cur);
    if (!o) throw invalid('invalid_bundle', `bundle is incomplete: object ${cur} is missing`);
    if (o.type === 'commit') {
      const c = decodeCommit(o.data);
      stack.push(c.tree, ...c.parents);
    } else if (o.type === 'tree') {
      for (const e of decodeTreeIds(o.data)) stack.push(e);
    } else if (o.type === 'tag') {
      stack.push(decodeTag(o.data).object);
    }
  }
}

/** Ids a raw tree links to (gitlinks excluded: submodule commits live elsewhere). */
function decodeTreeIds(data: Buffer): ObjectId[] {
  const ids: ObjectId[] = [];
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const nul = sp < 0 ? -1 : data.indexOf(0, sp);
    if (sp < 0 || nul < 0 || nul + 21 > data.length) throw new GitFormatError('truncated tree entry');
    const gitlink = sp - i === 6 && data.toString('latin1', i, sp) === '160000';
    if (!gitlink) ids.push(data.toString('hex', nul + 1, nul + 21));
    i = nul + 21;
  }
  return ids;
}
