// Rebuilds one repository from its folder: meta.json, then the journal streamed record by record (record-reader.ts).
// A torn tail is cut (the caller is told how much); anything else wrong — a meta.json that does not parse, a corrupt or
// undecodable record, a seq out of order, a read error — makes the repository damaged, with the reason, instead of
// throwing: one bad repository never stops the agent. With `sync`, what was read is made durable before it is served:
// after a kill -9, records written but never synced are still in the OS's cache and load as committed — they are shown
// from now on, so a power loss must no longer be able to take them back (an fdatasync of a clean file costs ~0.1 ms).
import { closeSync, existsSync, fdatasyncSync, openSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { RepoMeta, Repository } from '../store/repository.js';
import { decodeChange } from './change-codec.js';
import { fileSource, journalEntries } from './record-reader.js';

export const META = 'meta.json';
export const JOURNAL = 'journal';

export type LoadedRepository =
  /** `end`: where the records end (the next one goes); `size`: the file's size, larger when space was preallocated. */
  | { kind: 'ok'; repo: Repository; changes: number; journalExists: boolean; end: number; size: number; cut?: { bytes: number; reason: string } }
  | { kind: 'damaged'; repo: Repository; damage: string }
  /** A creation that died before its metadata was durable: never acknowledged. */
  | { kind: 'unfinished' };

export function loadRepository(dir: string, name: string, readBufferBytes?: number, sync = false): LoadedRepository {
  const metaPath = join(dir, META);
  const journalPath = join(dir, JOURNAL);
  if (!existsSync(metaPath)) return { kind: 'unfinished' };
  let meta: RepoMeta;
  try {
    meta = parseMeta(readFileSync(metaPath, 'utf8'), name);
  } catch (e) {
    return unreadableRepository(name, `${META} is unreadable: ${(e as Error).message}`);
  }
  const repo = new Repository(meta);
  if (!existsSync(journalPath)) return { kind: 'ok', repo, changes: 0, journalExists: false, end: 0, size: 0 };
  let fd: number | undefined;
  let changes = 0;
  try {
    fd = openSync(journalPath, 'r');
    const source = fileSource(fd);
    for (const entry of journalEntries(source, readBufferBytes)) {
      if (entry.kind === 'corrupt') return damaged(meta, `journal is corrupt: ${entry.reason}`);
      if (entry.kind === 'end') {
        if (sync) fdatasyncSync(fd);
        return { kind: 'ok', repo, changes, journalExists: true, end: entry.offset, size: source.size };
      }
      if (entry.kind === 'torn') {
        closeSync(fd);
        fd = undefined;
        truncateSync(journalPath, entry.offset);
        if (sync) syncFile(journalPath);
        return { kind: 'ok', repo, changes, journalExists: true, end: entry.offset, size: entry.offset, cut: { bytes: entry.bytes, reason: entry.reason } };
      }
      let change;
      try {
        change = decodeChange(entry.payload);
      } catch (e) {
        return damaged(meta, `journal is corrupt: record at byte ${entry.offset} does not decode: ${(e as Error).message}`);
      }
      // The first record may start anywhere (a snapshot installed at its seq); then they follow one another.
      if (changes > 0 && change.seq !== repo.seq + 1) {
        return damaged(meta, `journal is corrupt: record at byte ${entry.offset} has seq ${change.seq}, expected ${repo.seq + 1}`);
      }
      try {
        repo.replay(change);
      } catch (e) {
        return damaged(meta, `journal is corrupt: record at byte ${entry.offset} does not apply: ${(e as Error).message}`);
      }
      changes++;
    }
    if (sync) fdatasyncSync(fd);
    return { kind: 'ok', repo, changes, journalExists: true, end: source.size, size: source.size };
  } catch (e) {
    return damaged(meta, `journal is unreadable: ${(e as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** A repository folder that could not be read at all (e.g. its files are not what they should be): quarantined. */
export function unreadableRepository(name: string, damage: string): LoadedRepository {
  return damaged({ name, description: '', defaultBranch: 'main', createdAt: '' }, damage);
}

function damaged(meta: RepoMeta, damage: string): LoadedRepository {
  // An empty copy: what was read before the damage is not served (and holds no memory).
  const repo = new Repository({ ...meta });
  repo.markDamaged(damage);
  return { kind: 'damaged', repo, damage };
}

function parseMeta(text: string, name: string): RepoMeta {
  const m = JSON.parse(text) as Partial<RepoMeta> | null;
  if (typeof m !== 'object' || m === null) throw new Error('not an object');
  for (const field of ['name', 'description', 'defaultBranch', 'createdAt'] as const) {
    if (typeof m[field] !== 'string') throw new Error(`field ${field} is not a string`);
  }
  if (m.name !== name) throw new Error(`it names repository ${JSON.stringify(m.name)}, its folder is ${JSON.stringify(name)}`);
  return { name: m.name!, description: m.description!, defaultBranch: m.defaultBranch!, createdAt: m.createdAt! };
}
