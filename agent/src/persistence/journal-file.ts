// One repository's journal as the group commit sees it: the open descriptor, the seq last written and the seq known to
// be on disk, and the folder operations that must be durable along with the data (a new file's directory entry, a
// metadata file renamed into place, a fresh journal renamed over the old one). Appends are queued here and written in
// order by the journal writer (journal-writer.ts); making them durable is the group commit's (group-commit.ts).
import { closeSync, ftruncateSync } from 'node:fs';
import type { Repository } from '../store/repository.js';

/** Made durable after the journal's data, in order: fdatasync a file or folder, or rename a file. */
export type DurabilityStep = { kind: 'sync'; path: string } | { kind: 'rename'; from: string; to: string };

/** A change encoded for the journal: the first piece starts with RECORD_HEADER bytes reserved for the header. */
export interface QueuedRecord {
  seq: number;
  pieces: Buffer[];
  /** All pieces' bytes, the header included. */
  length: number;
  /** meta.json as of this change, when it changed metadata. */
  meta?: string;
}

export class JournalFile {
  fd: number | undefined;
  /** Records waiting to be written, oldest first. */
  queue: QueuedRecord[] = [];
  /** The writer's loop runs for this journal (a write or a checksum in progress). */
  writing = false;
  /** Seq of the last change written to the file (0 for a repository with none yet). */
  written: number;
  /** Where the next record goes: the end of the records. */
  end = 0;
  /** The file's size: beyond `end` it holds zeros, space preallocated so appends overwrite instead of growing it. */
  capacity = 0;
  /** Seq known to be on disk; -1 until the repository's creation is. */
  durable: number;
  /** Highest seq handed to a sync (in flight or done). */
  submitted: number;
  /** Folder operations to make durable with the next flush. */
  steps: DurabilityStep[] = [];
  /** The file exists with a durable directory entry (else the first flush after creating it syncs the folder). */
  entryDurable: boolean;
  /** Syncs in flight. */
  syncs = 0;
  /** A flush with folder steps is in flight: nothing else starts until it ends (steps run in order, after the data). */
  stepsRunning = false;
  /** A sync or write failed: nothing is written or flushed any more. */
  failed = false;
  /** Deleted or replaced: its data still gets synced, then the descriptor closes and nothing else happens. */
  retired = false;
  /** Evicted from the open-descriptor cache while busy: close once idle. */
  closeWhenIdle = false;
  /** GOVC_FSYNC=off: a snapshot install's fresh journal, renamed here right after its first append. */
  installTo: string | undefined;

  constructor(readonly repo: Repository, readonly dir: string, public path: string, seq: number, durable: number, entryDurable: boolean) {
    this.written = seq;
    this.durable = durable;
    this.submitted = durable;
    this.entryDurable = entryDurable;
  }

  get needsFlush(): boolean {
    return !this.failed && (this.written > this.submitted || this.steps.length > 0);
  }

  get idle(): boolean {
    return this.syncs === 0 && !this.needsFlush && !this.writing && this.queue.length === 0;
  }

  /** Closes the descriptor now if nothing is syncing or waiting to be, else once that is done. */
  release(): void {
    if (this.fd === undefined) return;
    if (!this.idle) {
      this.closeWhenIdle = true;
      return;
    }
    // An idle journal gives its preallocated space back (a crash before this is harmless: zeros read as the end); a
    // damaged one is left as it is, for forensics.
    if (this.capacity > this.end && !this.failed) {
      try {
        ftruncateSync(this.fd, this.end);
        this.capacity = this.end;
      } catch {
        // kept; it reads as the end of the records
      }
    }
    closeSync(this.fd);
    this.fd = undefined;
    this.closeWhenIdle = false;
  }

  retire(): void {
    this.retired = true;
    // Paths may already name another repository's folder (deleted, then created again under the same name).
    this.steps = [];
    this.release();
  }
}
