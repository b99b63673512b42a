// Group commit: makes journal appends durable with one fdatasync per batch, as etcd and PostgreSQL do. An append marks
// its journal dirty; once per event-loop turn a pass starts a flush for every dirty journal (all repositories of that
// turn together) covering everything written to it so far. A journal has at most `maxInFlight` fdatasyncs in flight
// (pipelined: the next batch need not wait for the previous sync to return, which halves the wait of a write on a
// disk whose flushes take milliseconds); what is written while they run is covered by the next. Syncs run on libuv's
// thread pool (async fs), never on the event loop. A flush ends with the repository's durable seq moved to what it
// covered (fdatasync covers every page of the file, so the highest finished target is durable along with all before
// it); a failed one quarantines the repository (what the page cache held may be gone, so the sync is never retried,
// nothing is marked durable after it, and its writes are never acknowledged). Folder steps (new entries, renames)
// run alone, after the data they come with.
import { fdatasync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { promisify } from 'node:util';
import { JournalFile, DurabilityStep } from './journal-file.js';
import { JournalStats } from './journal-stats.js';

/** Makes a file's (or a folder's) data durable; fdatasync in production, injected by tests to fail. */
export type SyncFn = (fd: number) => Promise<void>;

export const fdatasyncFn: SyncFn = promisify(fdatasync);

export interface GroupCommitHooks {
  /** A flush failed: quarantine the repository. */
  failed(jf: JournalFile, err: Error): void;
  /** A flush ended and the journal needs nothing more: close its descriptor if it was asked to. */
  settled(jf: JournalFile): void;
}

export class GroupCommit {
  private readonly dirty = new Set<JournalFile>();
  private scheduled = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly sync: SyncFn, readonly stats: JournalStats, private readonly hooks: GroupCommitHooks, private readonly maxInFlight = 4) {}

  markDirty(jf: JournalFile): void {
    this.dirty.add(jf);
    if (this.scheduled) return;
    this.scheduled = true;
    // After the I/O callbacks of this turn: every request parsed in it has written its change by then.
    setImmediate(() => this.pass());
  }

  /** Resolves once no flush runs or waits (shutdown). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.dirty.size === 0) return Promise.resolve();
    return new Promise((res) => this.idleWaiters.push(res));
  }

  /** A file or folder made durable on its own (a folder entry after a deletion). */
  async syncPath(path: string): Promise<void> {
    const h = await open(path, 'r');
    try {
      await this.sync(h.fd);
    } finally {
      await h.close();
    }
  }

  private pass(): void {
    this.scheduled = false;
    for (const jf of this.dirty) {
      // A journal that cannot start one now is marked dirty again when a running flush ends.
      if (this.canFlush(jf)) void this.flush(jf);
    }
    this.dirty.clear();
    this.checkIdle();
  }

  private canFlush(jf: JournalFile): boolean {
    if (!jf.needsFlush || jf.stepsRunning || jf.syncs >= this.maxInFlight) return false;
    return jf.steps.length === 0 || jf.syncs === 0;
  }

  private async flush(jf: JournalFile): Promise<void> {
    jf.syncs++;
    this.inFlight++;
    const target = jf.written;
    const covered = target - Math.max(jf.submitted, 0);
    const withData = target > jf.submitted && jf.fd !== undefined;
    jf.submitted = Math.max(jf.submitted, target);
    const steps = jf.steps.splice(0);
    if (steps.length > 0) jf.stepsRunning = true;
    try {
      if (withData) {
        const started = process.hrtime.bigint();
        await this.sync(jf.fd!);
        this.stats.fsynced(covered, Number(process.hrtime.bigint() - started) / 1e9);
      }
      for (const step of steps) {
        // Retired meanwhile: the folder may be another repository's now; only the data counted.
        if (jf.retired) break;
        await this.run(jf, step);
      }
      if (!jf.failed) {
        if (target > jf.durable) jf.durable = target;
        jf.repo.markDurable(target);
      }
    } catch (e) {
      if (!jf.failed) {
        jf.failed = true;
        this.stats.failures++;
        this.hooks.failed(jf, e as Error);
      }
    } finally {
      jf.syncs--;
      if (steps.length > 0) jf.stepsRunning = false;
      this.inFlight--;
      if (jf.needsFlush) this.markDirty(jf);
      else if (jf.syncs === 0) this.hooks.settled(jf);
      this.checkIdle();
    }
  }

  private async run(jf: JournalFile, step: DurabilityStep): Promise<void> {
    if (step.kind === 'sync') return this.syncPath(step.path);
    await rename(step.from, step.to);
    if (jf.path === step.from) jf.path = step.to;
  }

  private checkIdle(): void {
    if (this.inFlight > 0 || this.dirty.size > 0 || this.idleWaiters.length === 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }
}
