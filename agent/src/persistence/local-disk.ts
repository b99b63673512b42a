// The embedded persistence tier: every repository is a folder under the data directory with its metadata and an
// append-only journal of change records. A change is written to the journal before it becomes visible, so an acknowledged
// write survives a crash of the process (kill -9). Records carry a CRC; a torn record at the tail (the process died
// mid-write) is cut off on load, and any earlier damage stops the load of that repository loudly rather than serving a
// silently shortened history.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { LRUCache } from 'lru-cache';
import { Change, RepoMeta, Repository } from '../store/repository.js';
import { RepositoryStore } from '../store/repository-store.js';
import { decodeChange, encodeChange } from './change-codec.js';

const RECORD_HEADER = 8; // u32 length, u32 crc32 of the payload
const MAX_OPEN_JOURNALS = 256;

export interface LoadReport {
  repositories: number;
  changes: number;
  /** Repositories whose journal ended in a torn record that was cut off. */
  repaired: string[];
}

export interface PersistenceLog {
  warn(message: string, meta?: Record<string, unknown>): void;
}

export class LocalDiskPersistence {
  private readonly reposDir: string;
  // Open journal descriptors, bounded so thousands of repositories do not exhaust file descriptors.
  private readonly fds = new LRUCache<string, number>({ max: MAX_OPEN_JOURNALS, dispose: (fd) => closeSync(fd) });

  constructor(dataDir: string, private readonly log: PersistenceLog) {
    this.reposDir = join(dataDir, 'repos');
    mkdirSync(this.reposDir, { recursive: true });
  }

  /** Rebuilds every repository from disk into `store`, then keeps the disk in step with every later change. */
  loadInto(store: RepositoryStore): LoadReport {
    const report: LoadReport = { repositories: 0, changes: 0, repaired: [] };
    for (const name of readdirSync(this.reposDir).sort()) {
      const dir = join(this.reposDir, name);
      if (!existsSync(join(dir, 'meta.json'))) continue; // a creation that died before its metadata landed
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as RepoMeta;
      const repo = new Repository(meta);
      report.changes += this.replayJournal(repo, join(dir, 'journal'), report);
      store.add(repo);
      report.repositories++;
    }
    store.subscribe({ created: (r) => this.created(r), deleted: (r) => this.deleted(r) });
    for (const repo of store.all()) repo.setJournal((r, c) => this.append(r, c));
    return report;
  }

  close(): void {
    this.fds.clear();
  }

  private created(repo: Repository): void {
    const dir = join(this.reposDir, repo.name);
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, 'meta.json'), JSON.stringify(repo.meta));
    repo.setJournal((r, c) => this.append(r, c));
  }

  private deleted(repo: Repository): void {
    repo.setJournal(undefined);
    this.fds.delete(repo.name);
    const dir = join(this.reposDir, repo.name);
    // Rename first so a crash mid-delete never leaves a half-deleted repository that would load.
    const trash = join(this.reposDir, `.deleted-${repo.name}-${process.hrtime.bigint()}`);
    renameSync(dir, trash);
    rmSync(trash, { recursive: true, force: true });
  }

  private append(repo: Repository, change: Change): void {
    const record = encodeChange(change, RECORD_HEADER);
    record.writeUInt32LE(record.length - RECORD_HEADER, 0);
    record.writeUInt32LE(crc32(record.subarray(RECORD_HEADER)), 4);
    const fd = this.journalFd(repo.name);
    for (let off = 0; off < record.length; ) off += writeSync(fd, record, off);
    if (change.meta) writeAtomic(join(this.reposDir, repo.name, 'meta.json'), JSON.stringify({ ...repo.meta, ...change.meta }));
  }

  private journalFd(name: string): number {
    let fd = this.fds.get(name);
    if (fd === undefined) {
      fd = openSync(join(this.reposDir, name, 'journal'), 'a');
      this.fds.set(name, fd);
    }
    return fd;
  }

  private replayJournal(repo: Repository, path: string, report: LoadReport): number {
    if (!existsSync(path)) return 0;
    const buf = readFileSync(path);
    let at = 0;
    let n = 0;
    while (at < buf.length) {
      const torn = at + RECORD_HEADER > buf.length || at + RECORD_HEADER + buf.readUInt32LE(at) > buf.length;
      if (torn) break;
      const len = buf.readUInt32LE(at);
      const payload = buf.subarray(at + RECORD_HEADER, at + RECORD_HEADER + len);
      if (crc32(payload) !== buf.readUInt32LE(at + 4)) {
        if (at + RECORD_HEADER + len === buf.length) break; // the last record, half written: torn
        throw new Error(`journal of ${repo.name} is corrupt at byte ${at}; refusing to load a shortened history`);
      }
      repo.replay(decodeChange(payload));
      at += RECORD_HEADER + len;
      n++;
    }
    if (at < buf.length) {
      truncateSync(path, at);
      report.repaired.push(repo.name);
      this.log.warn('cut a torn record off a journal', { repo: repo.name, bytes: buf.length - at });
    }
    return n;
  }
}

function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}
