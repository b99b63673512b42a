// Reads git pack files (v2/v3): "PACK", version, object count, entries, trailing SHA-1 of everything before it.
// Each entry is a type+size varint header followed by a zlib stream; OFS_DELTA entries add a negative offset to
// their base, REF_DELTA entries add the base's 20-byte id. Entry boundaries are only known by inflating.
import { createHash } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { applyDelta, deltaSizes, MAX_OBJECT_SIZE } from './delta.js';
import { GitFormatError, hashObject, type ObjectId, type ObjectReader, type ObjectType } from './objects.js';

export interface PackedObject {
  id: ObjectId;
  type: ObjectType;
  data: Buffer;
}

export const PACK_SIGNATURE = 'PACK';
export const PACK_HEADER_SIZE = 12;
export const PACK_TRAILER_SIZE = 20;

export const OBJ_COMMIT = 1;
export const OBJ_TREE = 2;
export const OBJ_BLOB = 3;
export const OBJ_TAG = 4;
export const OBJ_OFS_DELTA = 6;
export const OBJ_REF_DELTA = 7;

const TYPE_BY_CODE: readonly (ObjectType | undefined)[] = [undefined, 'commit', 'tree', 'blob', 'tag'];
export const CODE_BY_TYPE: Readonly<Record<ObjectType, number>> = { commit: OBJ_COMMIT, tree: OBJ_TREE, blob: OBJ_BLOB, tag: OBJ_TAG };

/** The smallest possible entry: a one-byte header and an 8-byte zlib stream of nothing. */
const MIN_ENTRY_SIZE = 9;
/** Inflate output is collected in chunks of at most this size, so a lying size header cannot force a big allocation. */
const MAX_INFLATE_CHUNK = 1 << 20;

/** One pack entry as laid out in the file, before delta resolution. */
interface Entry {
  offset: number;
  code: number;
  /** Inflated payload: the object's data, or a delta. Dropped once the object is resolved. */
  payload: Buffer | undefined;
  /** OFS_DELTA: index of the base entry. */
  baseIndex: number;
  /** REF_DELTA: id of the base object. */
  baseId: ObjectId | undefined;
}

/**
 * Resource limits. A pack's size fields can lie (caught by comparing them with what inflates) but a pack can also
 * honestly describe far more data than it holds: deltas copy up to 64 KiB of their base per byte of instructions.
 * These caps bound what one untrusted pack can make us allocate.
 */
export interface ReadPackLimits {
  /** Largest single object or delta accepted, in bytes. Default 4 GiB (or the platform's Buffer limit if lower). */
  maxObjectSize?: number;
  /** Largest total of everything the pack inflates to (objects, delta payloads and delta results), in bytes. Default 8 GiB. */
  maxTotalSize?: number;
  /** Most entries the pack may hold. Default: no limit beyond what its bytes can hold. */
  maxObjects?: number;
}

/**
 * A pack over one of the limits: `object` (one object or delta too large), `total` (the pack inflates to too much) or
 * `count` (too many objects). Always thrown before the bytes over the limit are allocated.
 */
export class PackLimitError extends GitFormatError {
  override name = 'PackLimitError';
  constructor(
    readonly limit: 'object' | 'total' | 'count',
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_MAX_OBJECT_SIZE = Math.min(MAX_OBJECT_SIZE, 2 ** 32);
export const DEFAULT_MAX_TOTAL_SIZE = 8 * 2 ** 30;

export interface PackHeader {
  version: 2 | 3;
  count: number;
}

/** Validates the 12-byte pack header. */
export function readPackHeader(pack: Buffer): PackHeader {
  if (pack.length < PACK_HEADER_SIZE + PACK_TRAILER_SIZE) {
    throw new GitFormatError(`pack too short (${pack.length} bytes)`);
  }
  if (pack.toString('latin1', 0, 4) !== PACK_SIGNATURE) throw new GitFormatError('not a pack: bad signature');
  const version = pack.readUInt32BE(4);
  if (version !== 2 && version !== 3) throw new GitFormatError(`unsupported pack version ${version}`);
  return { version, count: pack.readUInt32BE(8) };
}

/** Checks the trailing SHA-1 over everything before it. */
export function verifyPackChecksum(pack: Buffer): void {
  const end = pack.length - PACK_TRAILER_SIZE;
  const actual = createHash('sha1').update(pack.subarray(0, end)).digest();
  if (!actual.equals(pack.subarray(end))) {
    throw new GitFormatError(`pack checksum mismatch (expected ${pack.toString('hex', end)}, computed ${actual.toString('hex')})`);
  }
}

function inflateEntry(pack: Buffer, pos: number, end: number, size: number, offset: number): { data: Buffer; next: number } {
  let result: { buffer: Buffer; engine: { bytesWritten: number } };
  try {
    result = inflateSync(pack.subarray(pos, end), {
      info: true,
      // Never produce more than the header promised: guards against zip bombs.
      maxOutputLength: Math.max(1, size),
      // size + 1 lets a truthful stream finish inside one chunk (no concat, no slack retained).
      chunkSize: Math.min(Math.max(size + 1, 64), MAX_INFLATE_CHUNK),
    }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GitFormatError(`object at offset ${offset} inflates to more than its declared size ${size}`);
    }
    throw new GitFormatError(`corrupt or truncated zlib data for object at offset ${offset}: ${e.message}`);
  }
  if (result.buffer.length !== size) {
    throw new GitFormatError(`object at offset ${offset} inflates to ${result.buffer.length} bytes, header says ${size}`);
  }
  return { data: result.buffer, next: pos + result.engine.bytesWritten };
}

/**
 * The result size a delta's header declares (base size varint, then result size varint), or 0 when the header is
 * truncated (applyDelta reports that). Sizes past 2^53 come back as Infinity.
 */
function declaredResultSize(delta: Buffer): number {
  let pos = 0;
  for (let field = 0; field < 2; field++) {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (pos >= delta.length) return 0;
      const c = delta[pos++];
      value += (c & 0x7f) * scale;
      if ((c & 0x80) === 0) break;
      scale *= 128;
      if (scale > 2 ** 53) return Infinity;
    }
    if (field === 1) return value;
  }
  return 0;
}

/** Splits a pack into its entries, inflating each; does not resolve deltas. */
function scanEntries(pack: Buffer, count: number, maxObjectSize: number, maxTotalSize: number): { entries: Entry[]; inflated: number } {
  const end = pack.length - PACK_TRAILER_SIZE;
  if (count > Math.floor((end - PACK_HEADER_SIZE) / MIN_ENTRY_SIZE)) {
    throw new GitFormatError(`pack header claims ${count} objects, more than ${end} bytes can hold`);
  }
  const entries: Entry[] = [];
  const indexByOffset = new Map<number, number>();
  let inflated = 0;
  let pos = PACK_HEADER_SIZE;
  for (let i = 0; i < count; i++) {
    if (pos >= end) throw new GitFormatError(`pack truncated: header claims ${count} objects, found ${i}`);
    const offset = pos;
    let c = pack[pos++];
    const code = (c >> 4) & 7;
    let size = c & 0x0f;
    let scale = 16;
    while (c & 0x80) {
      if (pos >= end) throw new GitFormatError(`truncated object header at offset ${offset}`);
      c = pack[pos++];
      size += (c & 0x7f) * scale;
      scale *= 128;
      if (size > MAX_OBJECT_SIZE) throw new PackLimitError('object', `object at offset ${offset} declares an impossible size`);
    }
    if (size > maxObjectSize) {
      throw new PackLimitError('object', `object at offset ${offset} declares ${size} bytes, over the object size limit of ${maxObjectSize}`);
    }
    // Checked before inflating: honest headers with highly compressible data are a zip bomb too.
    inflated += size;
    if (inflated > maxTotalSize) throw new PackLimitError('total', `pack expands to more than the limit of ${maxTotalSize} bytes`);

    let baseIndex = -1;
    let baseId: ObjectId | undefined;
    if (code === OBJ_OFS_DELTA) {
      if (pos >= end) throw new GitFormatError(`truncated OFS_DELTA header at offset ${offset}`);
      c = pack[pos++];
      let rel = c & 0x7f;
      while (c & 0x80) {
        if (pos >= end) throw new GitFormatError(`truncated OFS_DELTA header at offset ${offset}`);
        c = pack[pos++];
        rel = (rel + 1) * 128 + (c & 0x7f);
        if (rel > offset) break;
      }
      const baseOffset = offset - rel;
      if (rel === 0 || baseOffset < PACK_HEADER_SIZE) {
        throw new GitFormatError(`OFS_DELTA at offset ${offset} points outside the pack (relative offset ${rel})`);
      }
      const bi = indexByOffset.get(baseOffset);
      if (bi === undefined) {
        throw new GitFormatError(`OFS_DELTA at offset ${offset} points to ${baseOffset}, which is not the start of an object`);
      }
      baseIndex = bi;
    } else if (code === OBJ_REF_DELTA) {
      if (pos + 20 > end) throw new GitFormatError(`truncated REF_DELTA header at offset ${offset}`);
      baseId = pack.toString('hex', pos, pos + 20);
      pos += 20;
    } else if (TYPE_BY_CODE[code] === undefined) {
      throw new GitFormatError(`invalid object type code ${code} at offset ${offset}`);
    }

    const { data, next } = inflateEntry(pack, pos, end, size, offset);
    pos = next;
    indexByOffset.set(offset, i);
    entries.push({ offset, code, payload: data, baseIndex, baseId });
  }
  if (pos !== end) {
    throw new GitFormatError(`pack has ${end - pos} unexpected bytes after its ${count} objects`);
  }
  return { entries, inflated };
}

/**
 * Parses a whole pack (v2 or v3), verifies the trailing SHA-1 checksum and the object count, resolves OFS_DELTA and
 * REF_DELTA (REF_DELTA bases may be inside the pack, in any order, or — for thin packs — supplied by `external`).
 * Returns every object with its id, in pack order. Objects taken from `external` are not part of the result.
 */
export function readPack(pack: Buffer, external?: ObjectReader, limits: ReadPackLimits = {}): PackedObject[] {
  const maxObjectSize = limits.maxObjectSize ?? DEFAULT_MAX_OBJECT_SIZE;
  const maxTotalSize = limits.maxTotalSize ?? DEFAULT_MAX_TOTAL_SIZE;
  const { count } = readPackHeader(pack);
  if (limits.maxObjects !== undefined && count > limits.maxObjects) {
    throw new PackLimitError('count', `pack holds ${count} objects, over the limit of ${limits.maxObjects}`);
  }
  verifyPackChecksum(pack);
  const { entries, inflated } = scanEntries(pack, count, maxObjectSize, maxTotalSize);
  // Every delta's result size is in its header: a pack of tiny deltas describing huge objects (a delta bomb) is refused
  // here, before a single result is allocated, rather than once the results have piled up to the limit.
  let declared = inflated;
  for (const e of entries) {
    if (e.code !== OBJ_OFS_DELTA && e.code !== OBJ_REF_DELTA) continue;
    const size = declaredResultSize(e.payload as Buffer);
    if (size > maxObjectSize) {
      throw new PackLimitError('object', `delta at offset ${e.offset}: result of ${size} bytes is over the object size limit of ${maxObjectSize}`);
    }
    declared += size;
    if (declared > maxTotalSize) throw new PackLimitError('total', `pack expands to more than the limit of ${maxTotalSize} bytes`);
  }
  const results: (PackedObject | undefined)[] = new Array(entries.length);

  // Deltas wait on their base: OFS by entry index, REF by object id. Resolution runs from each resolved object
  // to the deltas waiting on it (like git index-pack), so every object is built exactly once and delta chains of
  // any length need no recursion.
  const ofsWaiting = new Map<number, number[]>();
  const refWaiting = new Map<ObjectId, number[]>();
  const ready: number[] = [];
  let resolved = 0;
  // Everything inflated so far (objects and delta payloads) plus every delta result counts against maxTotalSize.
  let totalSize = inflated;
  const account = (size: number) => {
    if (size > maxObjectSize) throw new PackLimitError('object', `result of ${size} bytes is over the object size limit of ${maxObjectSize}`);
    totalSize += size;
    if (totalSize > maxTotalSize) throw new PackLimitError('total', `pack expands to more than the limit of ${maxTotalSize} bytes`);
  };

  const wait = <K>(map: Map<K, number[]>, key: K, i: number) => {
    const list = map.get(key);
    if (list) list.push(i);
    else map.set(key, [i]);
  };
  const settle = (i: number, type: ObjectType, data: Buffer) => {
    results[i] = { id: hashObject(type, data), type, data };
    entries[i].payload = undefined;
    resolved++;
    ready.push(i);
  };
  const applyTo = (i: number, type: ObjectType, base: Buffer) => {
    const e = entries[i];
    let data: Buffer;
    try {
      // Check the declared size against the limits before applyDelta allocates it.
      account(deltaSizes(e.payload as Buffer).resultSize);
      data = applyDelta(base, e.payload as Buffer);
    } catch (err) {
      if (err instanceof PackLimitError) throw new PackLimitError(err.limit, `delta at offset ${e.offset}: ${err.message}`);
      if (err instanceof GitFormatError) throw new GitFormatError(`delta at offset ${e.offset}: ${err.message}`);
      throw err;
    }
    settle(i, type, data);
  };
  const drain = () => {
    while (ready.length > 0) {
      const i = ready.pop() as number;
      const { id, type, data } = results[i] as PackedObject;
      const byOfs = ofsWaiting.get(i);
      if (byOfs) {
        ofsWaiting.delete(i);
        for (const k of byOfs) applyTo(k, type, data);
      }
      const byRef = refWaiting.get(id);
      if (byRef) {
        refWaiting.delete(id);
        for (const k of byRef) applyTo(k, type, data);
      }
    }
  };

  for (let i = 0; i < entries.length; i++) {
    const e = entries[i];
    if (e.code === OBJ_OFS_DELTA) wait(ofsWaiting, e.baseIndex, i);
    else if (e.code === OBJ_REF_DELTA) wait(refWaiting, e.baseId as ObjectId, i);
    else settle(i, TYPE_BY_CODE[e.code] as ObjectType, e.payload as Buffer);
  }
  drain();

  // Whatever still waits on an id has a base outside the pack (a thin pack) — or is part of a cycle. One pass
  // suffices: resolving one external base can only settle in-pack objects, never make another external id appear.
  if (external) {
    for (const id of [...refWaiting.keys()]) {
      if (!refWaiting.has(id)) continue; // settled meanwhile by an object of the pack
      const obj = external.readObject(id);
      if (!obj) continue;
      if (hashObject(obj.type, obj.data) !== id) {
        throw new GitFormatError(`external base object ${id} does not match its id`);
      }
      const waiting = refWaiting.get(id) as number[];
      refWaiting.delete(id);
      for (const k of waiting) applyTo(k, obj.type, obj.data);
      drain();
    }
  }

  if (resolved < entries.length) {
    const missing = [...refWaiting.keys()];
    if (missing.length > 0) {
      throw new GitFormatError(
        `cannot resolve ${entries.length - resolved} delta(s): base object ${missing[0]}` +
          `${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''} is missing${external ? '' : ' (thin pack without external objects?)'} or part of a delta cycle`,
      );
    }
    throw new GitFormatError(`cannot resolve ${entries.length - resolved} delta(s): delta cycle`);
  }
  return results as PackedObject[];
}
