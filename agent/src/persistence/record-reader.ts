// Reads a journal record by record from any byte source, holding one read buffer plus, for a record larger than it, that
// record: memory is bounded by the largest record, never by the file (a journal may be far beyond the 2 GiB a single
// Buffer read of a file allows). Each record is [u32 length][u32 crc32 of the payload][payload]; the records may be
// followed by zeros (space the writer preallocated, see local-disk.ts). What the reader tells apart:
// - the end: nothing but zeros from a record boundary on (preallocated space, or a file extended but never written);
// - a torn tail, what a crash mid-append leaves: the file ends inside a record (a short header, or a length running
//   past the end), or, in preallocated space, a last record whose end was never written: only zeros follow it and its
//   own trailing zeros span a sector boundary (512 bytes: writes are cut, and reach the disk, in whole pages; a
//   complete record never ends in a zero byte). Cut;
// - corruption: a complete record whose checksum fails, wherever it is (the last one included), a record too short to
//   hold a change, or a length field that runs past the end while the payload it heads is complete and checks out (the
//   length itself was damaged): never cut, the caller quarantines the repository. (The one damage that reads as torn: a
//   last record's final byte turned to zero where it sits at a sector boundary, as a write cut there looks.)
import { fstatSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { encodedChangeLength } from './change-codec.js';

export const RECORD_HEADER = 8;
/** The shortest payload a change can have (version, seq, object count). */
const MIN_PAYLOAD = 13;
const DEFAULT_BUFFER = 1 << 20;
const SECTOR = 512;

export interface ByteSource {
  readonly size: number;
  /** Reads up to `length` bytes at `position` into `into` at `offset`; answers how many it read (0 at the end). */
  read(into: Buffer, offset: number, length: number, position: number): number;
}

export type JournalEntry =
  /** `payload` is a view valid until the next entry is asked for. */
  | { kind: 'record'; offset: number; payload: Buffer }
  /** Only zeros from `offset` on: the records end there. */
  | { kind: 'end'; offset: number; bytes: number }
  | { kind: 'torn'; offset: number; bytes: number; reason: string }
  | { kind: 'corrupt'; offset: number; reason: string };

export function fileSource(fd: number): ByteSource {
  return { size: fstatSync(fd).size, read: (into, offset, length, position) => readSync(fd, into, offset, length, position) };
}

/** Frames a payload as a journal record: header in the first RECORD_HEADER bytes, which the caller reserved. */
export function sealRecord(record: Buffer): Buffer {
  record.writeUInt32LE(record.length - RECORD_HEADER, 0);
  record.writeUInt32LE(crc32(record.subarray(RECORD_HEADER)), 4);
  return record;
}

/** A sliding window over the source: views of byte ranges, refilled as the reader moves on. */
class Window {
  private readonly buf: Buffer;
  private start = 0;
  private len = 0;

  constructor(private readonly src: ByteSource, bytes: number) {
    this.buf = Buffer.allocUnsafe(Math.max(RECORD_HEADER, bytes));
  }

  get capacity(): number {
    return this.buf.length;
  }

  /** The bytes [at, at + n) of the source: a view of the window, or a buffer of their own when n exceeds it. */
  bytes(at: number, n: number): Buffer {
    if (at >= this.start && at + n <= this.start + this.len) return this.buf.subarray(at - this.start, at - this.start + n);
    if (n > this.buf.length) {
      const own = Buffer.allocUnsafe(n);
      this.fill(own, 0, n, at);
      return own;
    }
    // Keep what the window already holds from `at` on, read the rest.
    let kept = 0;
    if (at >= this.start && at < this.start + this.len) {
      kept = this.start + this.len - at;
      this.buf.copyWithin(0, at - this.start, this.len);
    }
    const want = Math.min(this.buf.length, this.src.size - at);
    this.fill(this.buf, kept, want - kept, at + kept);
    this.start = at;
    this.len = want;
    return this.buf.subarray(0, n);
  }

  private fill(into: Buffer, offset: number, length: number, position: number): void {
    for (let done = 0; done < length; ) {
      const n = this.src.read(into, offset + done, length - done, position + done);
      if (n <= 0) throw new Error(`the file ended at byte ${position + done}, before the ${this.src.size} bytes it had when reading began`);
      done += n;
    }
  }
}

/**
 * Every record of the journal in order; the last entry is an `end`, `torn` or `corrupt` one when the file does not end
 * right after the last record. Read errors are thrown.
 */
export function* journalEntries(src: ByteSource, bufferBytes = DEFAULT_BUFFER): Generator<JournalEntry, void, undefined> {
  const w = new Window(src, bufferBytes);
  const size = src.size;
  let pos = 0;
  while (pos < size) {
    const left = size - pos;
    if (left < RECORD_HEADER) {
      yield { kind: 'torn', offset: pos, bytes: left, reason: `${left} bytes at the end are too few for a record header` };
      return;
    }
    const header = w.bytes(pos, RECORD_HEADER);
    const len = header.readUInt32LE(0);
    const crc = header.readUInt32LE(4);
    if (len > left - RECORD_HEADER) {
      const complete = completeRecord(w, pos, crc, left - RECORD_HEADER);
      if (complete !== undefined) {
        yield { kind: 'corrupt', offset: pos, reason: `record at byte ${pos}: its length field says ${len} bytes, the complete record it heads holds ${complete}` };
        return;
      }
      yield { kind: 'torn', offset: pos, bytes: left, reason: `a record of ${len} bytes starts at byte ${pos} but only ${left - RECORD_HEADER} follow its header` };
      return;
    }
    const payload = len < MIN_PAYLOAD ? undefined : w.bytes(pos + RECORD_HEADER, len);
    if (payload === undefined || crc32(payload) !== crc) {
      if (zeroFrom(w, pos, size)) {
        yield { kind: 'end', offset: pos, bytes: left };
        return;
      }
      const end = pos + RECORD_HEADER + len;
      // A write cut at sector c leaves [c, end) zero: the record's trailing zeros reach back to a sector boundary
      // (unless what is there is a complete record whose length field was damaged to run into the zeros).
      if (zeroFrom(w, end, size) && Math.ceil(zeroSuffixStart(w, pos, end) / SECTOR) * SECTOR < end) {
        const complete = completeRecord(w, pos, crc, len);
        if (complete === undefined) {
          yield { kind: 'torn', offset: pos, bytes: left, reason: `the record at byte ${pos} was never written to its end (only zeros follow)` };
          return;
        }
        yield { kind: 'corrupt', offset: pos, reason: `record at byte ${pos}: its length field says ${len} bytes, the complete record it heads holds ${complete}` };
        return;
      }
      const reason = payload === undefined ? `a record of ${len} bytes is too short to hold a change` : 'checksum mismatch';
      yield { kind: 'corrupt', offset: pos, reason: `record at byte ${pos}: ${reason}` };
      return;
    }
    yield { kind: 'record', offset: pos, payload };
    pos += RECORD_HEADER + len;
  }
}

/**
 * The length of the complete record at `pos` as the codec delimits its payload (at most `available` bytes), when its
 * checksum is `crc`: the record is whole and only its length field is wrong. Undefined when there is none.
 */
function completeRecord(w: Window, pos: number, crc: number, available: number): number | undefined {
  const length = encodedChangeLength((at, n) => w.bytes(pos + RECORD_HEADER + at, n), available);
  return length !== undefined && crcOf(w, pos + RECORD_HEADER, length) === crc ? length : undefined;
}

function crcOf(w: Window, from: number, length: number): number {
  let crc = 0;
  for (let at = from; at < from + length; ) {
    const n = Math.min(w.capacity, from + length - at);
    crc = crc32(w.bytes(at, n), crc);
    at += n;
  }
  return crc;
}

/** Where the run of zeros ending at `to` starts (`to` when the byte before it is not zero). */
function zeroSuffixStart(w: Window, from: number, to: number): number {
  let start = from;
  for (let at = from; at < to; ) {
    const n = Math.min(w.capacity, to - at);
    const chunk = w.bytes(at, n);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) start = at + i + 1;
    at += n;
  }
  return start;
}

function zeroFrom(w: Window, from: number, size: number): boolean {
  for (let at = from; at < size; ) {
    const n = Math.min(w.capacity, size - at);
    const chunk = w.bytes(at, n);
    for (let i = 0; i < n; i++) if (chunk[i] !== 0) return false;
    at += n;
  }
  return true;
}
