// Persists each repository's assignment (and the highest epoch this agent has heard of) so a restarted agent resumes
// its role and never accepts an epoch older than one it already saw. One append-only journal of JSON lines under
// <data dir>/replication/assignments.log; the last line of a repository wins, a `removed` line forgets it.
// Group commit: every save or removal queued while the previous write was syncing goes out in one write + one fsync,
// on libuv's thread pool (the operator assigns thousands at once: an fsync each blocked the event loop for most of
// the time). A save's promise resolves only once its line is durable. Compacted (rewritten, then renamed over) at
// start and whenever dead lines outnumber live ones.
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Assignment } from './types.js';

export interface StoredAssignment {
  assignment: Assignment;
  /** A newer epoch learnt from a peer than the assignment's own; set when this agent was fenced. */
  fencedAt?: number;
}

type Line = StoredAssignment | { removed: string };

interface Waiter {
  line: string;
  done: () => void;
  fail: (err: unknown) => void;
}

const LOG = 'assignments.log';
/** Dead lines tolerated beyond the live ones before a compaction. */
const SLACK_LINES = 1024;

export class AssignmentFile {
  private readonly dir: string | undefined;
  /** What the journal holds once everything queued is written: the compaction's content. */
  private readonly live = new Map<string, StoredAssignment>();
  private lines = 0;
  private queue: Waiter[] = [];
  private writing = false;
  private handle: Promise<FileHandle> | undefined;
  /** Group commits so far (one write + one fsync each), for tests and metrics. */
  syncs = 0;

  /** `dataDir` empty = memory only: assignments are then forgotten on restart. */
  constructor(dataDir: string) {
    this.dir = dataDir === '' ? undefined : join(dataDir, 'replication');
    if (this.dir) mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Reads the journal (and the one-file-per-repository format of earlier versions), then compacts it synchronously:
   * a line torn by a crash (never acknowledged: its fsync had not returned) is dropped before anything is appended.
   */
  loadAll(): StoredAssignment[] {
    if (!this.dir) return [];
    const legacy = readdirSync(this.dir).filter((f) => f.endsWith('.json')).sort();
    for (const f of legacy) {
      const s = JSON.parse(readFileSync(join(this.dir, f), 'utf8')) as StoredAssignment;
      this.live.set(s.assignment.repo, s);
    }
    const path = join(this.dir, LOG);
    if (existsSync(path)) {
      const text = readFileSync(path, 'utf8');
      const lines = text.split('\n');
      // Without a final newline the last line was being written when the agent died.
      if (!text.endsWith('\n')) lines.pop();
      for (const [i, l] of lines.entries()) {
        if (l === '') continue;
        let parsed: Line;
        try {
          parsed = JSON.parse(l) as Line;
        } catch {
          throw new Error(`${path}: line ${i + 1} is corrupt`);
        }
        if ('removed' in parsed) this.live.delete(parsed.removed);
        else this.live.set(parsed.assignment.repo, parsed);
      }
    }
    this.compactSync();
    for (const f of legacy) rmSync(join(this.dir, f));
    return [...this.live.values()].sort((a, b) => (a.assignment.repo < b.assignment.repo ? -1 : 1));
  }

  /** Resolves once `entry` is durable. */
  save(entry: StoredAssignment): Promise<void> {
    this.live.set(entry.assignment.repo, entry);
    return this.append(entry);
  }

  /** Resolves once the removal is durable. */
  remove(repo: string): Promise<void> {
    if (!this.live.delete(repo)) return Promise.resolve();
    return this.append({ removed: repo });
  }

  private append(line: Line): Promise<void> {
    if (!this.dir) return Promise.resolve();
    return new Promise<void>((done, fail) => {
      this.queue.push({ line: `${JSON.stringify(line)}\n`, done, fail });
      // After the current task: the rest of a batch being accepted synchronously joins this group.
      if (this.queue.length === 1) queueMicrotask(() => void this.pump());
    });
  }

  /** One writer at a time; whatever queued up while it synced goes out together next. */
  private async pump(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const group = this.queue.splice(0);
        try {
          if (this.lines + group.length > 2 * this.live.size + SLACK_LINES) {
            // The snapshot holds this group's effect (and possibly later ones, written again after: harmless).
            await this.compact();
          } else {
            const fh = await (this.handle ??= open(join(this.dir!, LOG), 'a'));
            await fh.appendFile(group.map((w) => w.line).join(''));
            await fh.datasync();
            this.lines += group.length;
          }
          this.syncs++;
          for (const w of group) w.done();
        } catch (err) {
          this.handle = undefined; // reopened by the next group
          for (const w of group) w.fail(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private snapshot(): string {
    let text = '';
    for (const s of this.live.values()) text += `${JSON.stringify(s)}\n`;
    return text;
  }

  private async compact(): Promise<void> {
    const old = this.handle;
    this.handle = undefined;
    await (await old)?.close();
    const path = join(this.dir!, LOG);
    const tmp = `${path}.tmp`;
    const text = this.snapshot();
    const count = this.live.size;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    renameSync(tmp, path);
    this.syncDir();
    this.lines = count;
  }

  private compactSync(): void {
    const path = join(this.dir!, LOG);
    const tmp = `${path}.tmp`;
    writeFileSync(tmp, this.snapshot());
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
    this.syncDir();
    this.lines = this.live.size;
  }

  /** The rename itself must survive a crash. */
  private syncDir(): void {
    const fd = openSync(this.dir!, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes the journal once what is queued is written. */
  async close(): Promise<void> {
    while (this.writing || this.queue.length > 0) await new Promise((r) => setTimeout(r, 5));
    const h = this.handle;
    this.handle = undefined;
    await (await h)?.close();
  }
}
