// The embedded persistence tier: every repository is a folder under the data directory with its metadata (meta.json)
// and an append-only journal of change records. A change is queued on its journal as it is applied, written in seq
// order by the journal writer (journal-writer.ts, off the event loop), then, with GOVC_FSYNC=batch, made durable by the
// group commit (group-commit.ts); the repository's durable seq says when, and its commit point follows it: a change is
// visible to reads and acknowledged to writers only from there. With GOVC_FSYNC=off "durable" means written to the OS
// (it survives kill -9, not a power loss). Creations, deletions and snapshot installs make their folder entries
// durable the same way.
// With GOVC_FSYNC=batch an open journal keeps zeros preallocated past its last record (written once, a chunk at a
// time, by the writer): an fdatasync of records written there only overwrites blocks, with no file size or block
// allocation to commit, so it does not wait for the filesystem journal (which also flushes every other file's pending
// data on ext4: syncs that took up to ~100-200 ms under other writers then take ~5). The reader takes zeros for the
// end; an idle or closed journal gives the space back.
// Loading streams each journal (any size) and quarantines, with a log line, a repository whose files are damaged
// (journal-load.ts); so does a failed write or sync at runtime. The agent always starts; every other repository serves.
// A replica re-seeding a damaged copy installs its primary's snapshot into a fresh journal written beside the old one and
// renamed over it; a damaged journal and meta.json are kept as `<file>.damaged-<time>` for forensics.
import { closeSync, constants, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LRUCache } from 'lru-cache';
import { GovcError } from '../errors.js';
import { Change, Repository, damagedError } from '../store/repository.js';
import { RepositoryStore } from '../store/repository-store.js';
import { encodeChangePieces, takeJournalRecord } from './change-codec.js';
import { GroupCommit, SyncFn, fdatasyncFn } from './group-commit.js';
import { JournalFile } from './journal-file.js';
import { JOURNAL, META, loadRepository, unreadableRepository, type LoadedRepository } from './journal-load.js';
import { JournalStats } from './journal-stats.js';
import { JournalWriter, QueuedRecord, WriteFn } from './journal-writer.js';
import { RECORD_HEADER } from './record-reader.js';

const MAX_OPEN_JOURNALS = 256;
/** A snapshot being installed: renamed over the journal once durable. */
const JOURNAL_NEW = 'journal.new';
const TRASH_PREFIX = '.deleted-';
/** Positional writes (records go at the end of the records, before any preallocated zeros): no O_APPEND. */
const JOURNAL_FLAGS = constants.O_WRONLY | constants.O_CREAT;

export type FsyncMode = 'batch' | 'off';

export interface PersistenceOptions {
  /** batch (default): writes are durable (fdatasync, group commit) before they are acknowledged; off: never synced. */
  fsync?: FsyncMode;
  /** The data sync of a file or folder; tests inject failures here. */
  syncFn?: SyncFn;
  /** The gathered write of journal records; tests inject failures and stalls here. */
  writeFn?: WriteFn;
  /** Journal read buffer (tests use a tiny one). */
  readBufferBytes?: number;
  /** fdatasyncs in flight per journal (pipelined group commit); default 4. */
  maxSyncsInFlight?: number;
}

export interface LoadReport {
  repositories: number;
  changes: number;
  /** Repositories whose journal ended in a torn record that was cut off. */
  repaired: string[];
  /** Repositories quarantined, with the reason. */
  damaged: { repo: string; damage: string }[];
}

export interface PersistenceLog {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export class LocalDiskPersistence {
  readonly stats = new JournalStats();
  private readonly reposDir: string;
  private readonly journals = new Map<string, JournalFile>();
  // Open descriptors, bounded so thousands of repositories do not exhaust file descriptors.
  private readonly open = new LRUCache<string, JournalFile>({ max: MAX_OPEN_JOURNALS, dispose: (jf) => jf.release() });
  /** Undefined with GOVC_FSYNC=off. */
  private readonly commits: GroupCommit | undefined;
  private readonly writer: JournalWriter;
  private readonly readBufferBytes: number | undefined;

  constructor(dataDir: string, private readonly log: PersistenceLog, opts: PersistenceOptions = {}) {
    this.reposDir = join(dataDir, 'repos');
    mkdirSync(this.reposDir, { recursive: true });
    this.readBufferBytes = opts.readBufferBytes;
    this.commits = opts.fsync === 'off' ? undefined : new GroupCommit(opts.syncFn ?? fdatasyncFn, this.stats, {
      failed: (jf, err) => this.journalFailed(jf, `journal sync failed: ${err.message}`),
      settled: (jf) => this.settle(jf),
    }, opts.maxSyncsInFlight);
    this.writer = new JournalWriter({
      fd: (jf) => this.fdOf(jf),
      written: (jf, records) => this.written(jf, records),
      failed: (jf, err) => this.journalFailed(jf, `journal write failed: ${err.message}`),
      drained: (jf) => this.settle(jf),
    }, this.commits !== undefined, opts.writeFn);
  }

  /** Rebuilds every repository from disk into `store`, then keeps the disk in step with every later change. */
  loadInto(store: RepositoryStore): LoadReport {
    const report: LoadReport = { repositories: 0, changes: 0, repaired: [], damaged: [] };
    for (const name of readdirSync(this.reposDir).sort()) {
      const dir = join(this.reposDir, name);
      if (name.startsWith(TRASH_PREFIX)) {
        rmSync(dir, { recursive: true, force: true }); // a deletion that died before it finished
        continue;
      }
      if (name.startsWith('.') || !isDirectory(dir)) continue;
      const loaded = this.loadOne(dir, name);
      if (loaded.kind === 'unfinished') {
        this.log.warn('removed a repository folder whose creation never finished', { repo: name });
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      if (loaded.kind === 'damaged') {
        report.damaged.push({ repo: name, damage: loaded.damage });
        this.log.error('repository quarantined', { repo: name, damage: loaded.damage });
      } else {
        report.changes += loaded.changes;
        if (loaded.cut) {
          report.repaired.push(name);
          this.log.warn('cut a torn record off a journal', { repo: name, bytes: loaded.cut.bytes, reason: loaded.cut.reason });
        }
      }
      store.add(loaded.repo);
      const jf = this.track(loaded.repo, join(dir, JOURNAL), loaded.kind === 'ok' && loaded.journalExists);
      if (loaded.kind === 'ok') {
        jf.end = loaded.end;
        jf.capacity = loaded.size;
      } else jf.failed = true;
      report.repositories++;
    }
    store.subscribe({ created: (r) => this.created(r), deleted: (r) => this.deleted(r), replaced: (o, r) => this.replaced(o, r) });
    return report;
  }

  /** Waits for queued writes and syncs in flight, then closes every journal. */
  async close(): Promise<void> {
    await this.writer.idle();
    await this.commits?.idle();
    for (const jf of this.journals.values()) {
      jf.closeWhenIdle = false;
      jf.release();
    }
    this.open.clear();
  }

  private track(repo: Repository, path: string, entryDurable: boolean): JournalFile {
    const jf = new JournalFile(repo, join(this.reposDir, repo.name), path, repo.seq, repo.seq, entryDurable);
    this.journals.set(repo.name, jf);
    repo.trackDurability(repo.seq);
    repo.setJournal((r, c) => this.append(r, c));
    return jf;
  }

  private created(repo: Repository): void {
    const dir = join(this.reposDir, repo.name);
    // Whatever a creation that never finished left there must not lend its files to this one.
    if (existsSync(dir)) this.discard(dir, repo.name);
    mkdirSync(dir);
    const jf = this.track(repo, join(dir, JOURNAL), false);
    const json = JSON.stringify(repo.meta);
    if (!this.commits) return writeAtomicSync(join(dir, META), json);
    // Durable once meta.json and the folder's own entry are: until then a restart forgets the repository.
    this.notYetDurable(jf);
    this.stageMeta(jf, json, 'create');
    jf.steps.push({ kind: 'sync', path: this.reposDir });
    this.commits.markDirty(jf);
  }

  private deleted(repo: Repository): Promise<void> {
    this.untrack(repo);
    const dir = join(this.reposDir, repo.name);
    // Rename first so a crash mid-delete never leaves a half-deleted repository that would load.
    const trash = this.discard(dir, repo.name, false);
    if (!trash) return Promise.resolve();
    const removeTrash = () => {
      rm(trash, { recursive: true, force: true }).catch((e: unknown) => this.log.warn('could not remove a deleted repository folder', { repo: repo.name, err: String(e) }));
    };
    if (!this.commits) {
      removeTrash();
      return Promise.resolve();
    }
    return this.commits.syncPath(this.reposDir).then(removeTrash, (e: unknown) => {
      throw new GovcError('unavailable', 'not_durable', `repository ${repo.name} was deleted, but the deletion could not be made durable: ${String(e)}`);
    });
  }

  /**
   * A replica installs a snapshot: `repo` (empty yet; the snapshot change is appended next) gets a fresh journal,
   * journal.new, renamed over the old journal once durable. The old files of a damaged copy are kept for forensics.
   */
  private replaced(old: Repository, repo: Repository): void {
    this.untrack(old);
    const dir = join(this.reposDir, repo.name);
    mkdirSync(dir, { recursive: true });
    if (old.damage !== undefined) this.keepForForensics(dir, repo.name);
    const path = join(dir, JOURNAL_NEW);
    const jf = this.track(repo, path, true);
    jf.fd = openSync(path, 'w');
    this.open.set(repo.name, jf);
    const json = JSON.stringify(repo.meta);
    if (!this.commits) {
      writeAtomicSync(join(dir, META), json);
      jf.installTo = join(dir, JOURNAL);
      return;
    }
    this.notYetDurable(jf);
    this.stageMeta(jf, json, 'install', false);
    jf.steps.push({ kind: 'rename', from: path, to: join(dir, JOURNAL) }, { kind: 'sync', path: dir });
    // Marked dirty by the snapshot's append.
  }

  /** A new folder or journal: nothing of it is durable until its first flush, not even seq 0. */
  private notYetDurable(jf: JournalFile): void {
    jf.durable = jf.submitted = -1;
    jf.repo.trackDurability(-1);
  }

  private untrack(repo: Repository): void {
    repo.setJournal(undefined);
    const jf = this.journals.get(repo.name);
    if (!jf || jf.repo !== repo) return;
    this.journals.delete(repo.name);
    if (this.open.peek(repo.name) === jf) this.open.delete(repo.name);
    jf.retire();
  }

  /** Queues the change on its journal (the writer takes it from there); only the encoding runs here. */
  private append(repo: Repository, change: Change): void {
    const jf = this.journals.get(repo.name);
    if (!jf || jf.repo !== repo) throw new Error(`repository ${repo.name} has no journal`);
    if (jf.failed) throw damagedError(repo.name, repo.damage ?? 'journal write failed');
    const ahead = takeJournalRecord(change);
    const { pieces, length } = ahead ? { pieces: [ahead], length: ahead.length } : encodeChangePieces(change, RECORD_HEADER);
    const record: QueuedRecord = { seq: change.seq, pieces, length };
    // Metadata as of this change: the newest before it, with its own fields.
    if (change.meta) record.meta = JSON.stringify({ ...repo.newest.meta, ...change.meta });
    this.writer.enqueue(jf, record);
  }

  /**
   * Records are in the file: their metadata follows (written off the loop: a file created while the disk is busy
   * syncing can wait on the filesystem's journal), then durability (a sync, or nothing more with GOVC_FSYNC=off).
   */
  private async written(jf: JournalFile, records: QueuedRecord[]): Promise<void> {
    try {
      if (jf.installTo) {
        await rename(jf.path, jf.installTo);
        jf.path = jf.installTo;
        jf.installTo = undefined;
      }
      for (const r of records) {
        if (r.meta === undefined) continue;
        if (!this.commits) await writeAtomic(join(jf.dir, META), r.meta);
        else {
          const tmp = join(jf.dir, `${META}.${r.seq}.tmp`);
          await writeFile(tmp, r.meta);
          jf.steps.push({ kind: 'sync', path: tmp }, { kind: 'rename', from: tmp, to: join(jf.dir, META) }, { kind: 'sync', path: jf.dir });
        }
      }
    } catch (e) {
      // The journal holds the change, its folder or metadata does not: the copies differ.
      if (!jf.failed) this.journalFailed(jf, `metadata write failed: ${(e as Error).message}`);
      return;
    }
    if (jf.failed) return;
    jf.written = records[records.length - 1].seq;
    if (this.commits) return this.commits.markDirty(jf);
    jf.durable = jf.submitted = jf.written;
    jf.repo.markDurable(jf.written);
  }

  /** A journal with nothing left to write or sync closes its descriptor if it was asked to (evicted, retired, failed). */
  private settle(jf: JournalFile): void {
    if (jf.idle && (jf.closeWhenIdle || jf.retired || jf.failed)) jf.release();
  }

  private fdOf(jf: JournalFile): number {
    const name = jf.repo.name;
    if (jf.fd !== undefined) {
      if (jf.closeWhenIdle) {
        jf.closeWhenIdle = false;
        this.open.set(name, jf);
      } else this.open.get(name);
      return jf.fd;
    }
    jf.fd = openSync(jf.path, JOURNAL_FLAGS);
    if (!jf.entryDurable) {
      jf.entryDurable = true;
      if (this.commits) jf.steps.push({ kind: 'sync', path: jf.dir });
    }
    this.open.set(name, jf);
    return jf.fd;
  }

  /** meta.json by way of a temporary file, synced and renamed into place by the next flush. */
  private stageMeta(jf: JournalFile, json: string, tag: string, syncDir = true): void {
    const tmp = join(jf.dir, `${META}.${tag}.tmp`);
    writeFileSync(tmp, json);
    jf.steps.push({ kind: 'sync', path: tmp }, { kind: 'rename', from: tmp, to: join(jf.dir, META) });
    if (syncDir) jf.steps.push({ kind: 'sync', path: jf.dir });
  }

  private journalFailed(jf: JournalFile, damage: string): void {
    // A deleted or replaced repository: its waiting writes fail, nobody else cares.
    if (jf.retired) jf.repo.markDamaged(damage);
    else this.quarantine(jf, damage);
  }

  private quarantine(jf: JournalFile, damage: string): void {
    jf.failed = true;
    this.log.error('repository quarantined', { repo: jf.repo.name, damage });
    jf.repo.markDamaged(damage);
    jf.release();
  }

  /** Hard links to the damaged files, which the fresh ones then replace. */
  private keepForForensics(dir: string, name: string): void {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    for (const file of [JOURNAL, META]) {
      const from = join(dir, file);
      if (!existsSync(from)) continue;
      const to = join(dir, `${file}.damaged-${stamp}`);
      try {
        linkSync(from, to);
      } catch {
        renameSync(from, to); // no hard links here: moved instead (the install is then not atomic)
      }
      this.log.warn('kept the files of a damaged repository for forensics', { repo: name, file: to });
    }
  }

  /** Renames a folder out of the way, then removes it in the background; returns where it went. */
  private discard(dir: string, name: string, removeNow = true): string | undefined {
    const trash = join(this.reposDir, `${TRASH_PREFIX}${name}-${process.hrtime.bigint()}`);
    try {
      renameSync(dir, trash);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    if (removeNow) rmSync(trash, { recursive: true, force: true });
    return trash;
  }

  /** One repository folder; whatever fails in it (even where git's own files should be) quarantines it, never the agent. */
  private loadOne(dir: string, name: string): LoadedRepository {
    try {
      this.removeLeftovers(dir, name);
      // Synced as loaded (GOVC_FSYNC=batch): what loads is served as committed.
      return loadRepository(dir, name, this.readBufferBytes, this.commits !== undefined);
    } catch (e) {
      return unreadableRepository(name, `its folder could not be read: ${(e as Error).message}`);
    }
  }

  /** What an install or a metadata write that never finished left behind: never acknowledged, never loaded. */
  private removeLeftovers(dir: string, name: string): void {
    for (const f of readdirSync(dir)) {
      if (f === JOURNAL_NEW || (f.startsWith(`${META}.`) && f.endsWith('.tmp'))) {
        rmSync(join(dir, f), { force: true });
        if (f === JOURNAL_NEW) this.log.warn('removed a snapshot install that never finished', { repo: name });
      }
    }
  }
}

/** GOVC_FSYNC=off, off the loop: metadata is still written whole (temporary file, fsync, rename) so it never reads torn. */
async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFile(tmp, content);
  const h = await open(tmp, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
  await rename(tmp, path);
}

/** GOVC_FSYNC=off: metadata is still written whole (temporary file, fsync, rename) so it never reads torn. */
function writeAtomicSync(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, content);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, path);
}

/** A folder entry that is a directory (a dangling link or an entry gone meanwhile is not). */
function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
