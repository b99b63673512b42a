// Appends change records to journals without ever holding the event loop: a change is queued on its journal as the
// pieces encodeChangePieces made (its large objects uncopied), and a per-journal loop writes what is queued, oldest
// first, with one gathered positional write (pwritev, on libuv's thread pool) per batch. One write at a time per
// journal: records reach the file in seq order and a later record is never on disk before an earlier one, so whatever a
// crash leaves is a prefix of the queue (a torn last record at worst, which the reader cuts). The CRC of a record is
// computed over its pieces incrementally (zlib.crc32(buf, prev)), a slice at a time with the loop free in between, so
// a 100 MiB object costs a few milliseconds per turn instead of one long stall; preallocation zeros are written the same
// way, ahead of the records. A failed write stops the journal: the hook quarantines the repository, which fails every
// change queued behind it (none is ever acknowledged or made visible).
import { write, writev } from 'node:fs';
import { crc32 } from 'node:zlib';
import type { JournalFile, QueuedRecord } from './journal-file.js';

export type { QueuedRecord } from './journal-file.js';
import { RECORD_HEADER } from './record-reader.js';

/** Writes `buffers` back to back at `position`; answers how many bytes it wrote. Injected by tests to fail or stall. */
export type WriteFn = (fd: number, buffers: Buffer[], position: number) => Promise<number>;

const ZEROS = Buffer.alloc(1024 * 1024);

export const writevFn: WriteFn = (fd, buffers, position) =>
  new Promise((resolve, reject) => writev(fd, buffers, position, (err, n) => (err ? reject(err) : resolve(n))));

const writeZeros = (fd: number, n: number, position: number) =>
  new Promise<number>((resolve, reject) => write(fd, ZEROS, 0, n, position, (err, written) => (err ? reject(err) : resolve(written))));

/** Bytes checksummed per event-loop turn. */
const CRC_SLICE = 4 * 1024 * 1024;
/** Most bytes one gathered write takes (the rest of the queue goes in the next). */
const BATCH_BYTES = 64 * 1024 * 1024;
/** Preallocation grows with the journal: an eighth of its size, within these bounds. */
const PREALLOC_MIN = 256 * 1024;
const PREALLOC_MAX = 8 * 1024 * 1024;

export interface JournalWriterHooks {
  /** The journal's open descriptor (opened if needed). */
  fd(jf: JournalFile): number;
  /** `records` are in the file (in the OS's cache): stage their metadata, make them durable. The next write waits. */
  written(jf: JournalFile, records: QueuedRecord[]): void | Promise<void>;
  /** A write failed: quarantine the repository (the journal is marked failed already). */
  failed(jf: JournalFile, err: Error): void;
  /** The journal's queue ran empty. */
  drained(jf: JournalFile): void;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Fills in the record header (length, CRC of the payload) of a queued record, checksumming at most CRC_SLICE bytes
 * per event-loop turn.
 */
export async function sealPieces(record: QueuedRecord): Promise<void> {
  let crc = 0;
  let sinceYield = 0;
  for (let i = 0; i < record.pieces.length; i++) {
    const piece = i === 0 ? record.pieces[0].subarray(RECORD_HEADER) : record.pieces[i];
    for (let at = 0; at < piece.length; ) {
      const n = Math.min(piece.length - at, CRC_SLICE - sinceYield);
      crc = crc32(at === 0 && n === piece.length ? piece : piece.subarray(at, at + n), crc);
      at += n;
      sinceYield += n;
      if (sinceYield >= CRC_SLICE) {
        await nextTurn();
        sinceYield = 0;
      }
    }
  }
  const head = record.pieces[0];
  head.writeUInt32LE(record.length - RECORD_HEADER, 0);
  head.writeUInt32LE(crc >>> 0, 4);
}

export class JournalWriter {
  private active = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly hooks: JournalWriterHooks, private readonly preallocate: boolean, private readonly writeFn: WriteFn = writevFn) {}

  /** Queues a record; the journal's write loop takes it in order. */
  enqueue(jf: JournalFile, record: QueuedRecord): void {
    jf.queue.push(record);
    if (!jf.writing) void this.drain(jf);
  }

  /** Resolves once no journal has anything queued or being written (shutdown). */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(jf: JournalFile): Promise<void> {
    jf.writing = true;
    this.active++;
    try {
      while (jf.queue.length > 0 && !jf.failed) {
        // Opened before the first await: a journal retired meanwhile (deleted, replaced) still has its descriptor.
        if (jf.retired && jf.fd === undefined) throw new Error('the journal was retired before its records were written');
        const fd = this.hooks.fd(jf);
        let bytes = 0;
        let take = 0;
        while (take < jf.queue.length && (take === 0 || bytes + jf.queue[take].length <= BATCH_BYTES)) bytes += jf.queue[take++].length;
        const batch = jf.queue.splice(0, take);
        for (const r of batch) await sealPieces(r);
        if (this.preallocate) await this.makeRoom(jf, fd, bytes);
        const pieces: Buffer[] = [];
        for (const r of batch) for (const p of r.pieces) pieces.push(p);
        await this.writeAll(fd, pieces, jf.end, bytes);
        jf.end += bytes;
        if (jf.end > jf.capacity) jf.capacity = jf.end;
        if (!jf.failed) await this.hooks.written(jf, batch);
      }
    } catch (e) {
      jf.queue = [];
      if (!jf.failed) {
        jf.failed = true;
        this.hooks.failed(jf, e as Error);
      }
    } finally {
      jf.writing = false;
      if (jf.failed) jf.queue = [];
      this.active--;
      this.hooks.drained(jf);
      if (this.active === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async writeAll(fd: number, pieces: Buffer[], position: number, bytes: number): Promise<void> {
    let left = pieces;
    for (let done = 0; done < bytes; ) {
      const n = await this.writeFn(fd, left, position + done);
      if (n <= 0) throw new Error(`a journal write at byte ${position + done} wrote nothing`);
      done += n;
      // A short write (rare: libuv already loops): go on from where it stopped.
      let skip = n;
      let i = 0;
      while (i < left.length && skip >= left[i].length) skip -= left[i++].length;
      left = left.slice(i);
      if (skip > 0) left[0] = left[0].subarray(skip);
    }
  }

  /**
   * Makes room for `bytes` more past the records by writing zeros, a chunk at a time (the flush that follows makes the
   * chunk durable, with its allocation, once). No room on the disk: the records are written past the end regardless.
   */
  private async makeRoom(jf: JournalFile, fd: number, bytes: number): Promise<void> {
    if (jf.end + bytes <= jf.capacity) return;
    const chunk = Math.min(PREALLOC_MAX, Math.max(PREALLOC_MIN, 2 ** Math.ceil(Math.log2(Math.max(1, jf.end / 8)))));
    const target = jf.end + bytes + chunk;
    // Records far larger than the chunk fill their own space: zeros only after them, never twice the bytes.
    let at = jf.end + bytes - jf.capacity > PREALLOC_MAX ? jf.end + bytes : jf.capacity;
    try {
      while (at < target) {
        at += await writeZeros(fd, Math.min(ZEROS.length, target - at), at);
        // A hole left before `at` reads as zeros too.
        jf.capacity = Math.max(jf.capacity, at);
      }
    } catch {
      // no space to preallocate: the records go in without
    }
  }
}
