// The journal record reader on its own: records come back whole whatever the read buffer (a tiny one makes every record
// straddle reads), an incomplete last record is torn (cut), and any damage to a complete record — checksum, length
// field, anywhere including the last record — is corruption, never a silent cut.
import test from 'ava';
import fc from 'fast-check';
import { hashObject } from '../src/git/objects.js';
import { decodeChange, encodeChange } from '../src/persistence/change-codec.js';
import { ByteSource, JournalEntry, RECORD_HEADER, journalEntries, sealRecord } from '../src/persistence/record-reader.js';
import { Change } from '../src/store/repository.js';

function change(seq: number, blobs: Buffer[]): Change {
  return {
    seq, epoch: 3,
    objects: blobs.map((data) => ({ id: hashObject('blob', data), type: 'blob' as const, data })),
    refs: [{ name: 'refs/heads/main', old: null, new: hashObject('blob', blobs[0] ?? Buffer.alloc(0)) }],
  };
}

const record = (c: Change) => sealRecord(encodeChange(c, RECORD_HEADER));

function source(buf: Buffer): ByteSource & { reads: number } {
  const src = {
    size: buf.length,
    reads: 0,
    read(into: Buffer, offset: number, length: number, position: number) {
      src.reads++;
      return buf.copy(into, offset, position, Math.min(position + length, buf.length));
    },
  };
  return src;
}

/** Every entry, payloads copied (a record's view is only valid until the next one is read). */
function readAll(buf: Buffer, bufferBytes?: number): JournalEntry[] {
  const out: JournalEntry[] = [];
  for (const e of journalEntries(source(buf), bufferBytes)) out.push(e.kind === 'record' ? { ...e, payload: Buffer.from(e.payload) } : e);
  return out;
}

const changes = [
  change(1, [Buffer.from('one')]),
  change(2, [Buffer.alloc(3000, 7), Buffer.from('x')]),
  change(3, []),
  change(4, [Buffer.from('four'), Buffer.alloc(70_000, 1)]),
];
const journal = Buffer.concat(changes.map(record));
const ends = changes.reduce<number[]>((acc, c) => [...acc, (acc[acc.length - 1] ?? 0) + record(c).length], []);

test('records come back whole with any read buffer, records straddling reads and larger than the buffer', (t) => {
  for (const size of [1, 7, 13, 64, 4096, 1 << 20]) {
    const entries = readAll(journal, size);
    t.deepEqual(entries.map((e) => e.kind), ['record', 'record', 'record', 'record'], `buffer ${size}`);
    t.deepEqual(entries.map((e) => decodeChange((e as { payload: Buffer }).payload)), changes, `buffer ${size}`);
    t.deepEqual(entries.map((e) => e.offset), [0, ...ends.slice(0, -1)]);
  }
});

test('reads are bounded by the buffer: a big buffer reads a journal in few calls, a tiny one in many', (t) => {
  const big = source(journal);
  [...journalEntries(big, 1 << 20)];
  t.true(big.reads <= 2, `${big.reads} reads`);
  const tiny = source(journal);
  [...journalEntries(tiny, 16)];
  t.true(tiny.reads >= 8, `${tiny.reads} reads`);
});

test('a short header at the end is torn', (t) => {
  const entries = readAll(Buffer.concat([journal, Buffer.from([5, 0, 0])]), 7);
  t.is(entries.length, 5);
  t.like(entries[4], { kind: 'torn', offset: journal.length, bytes: 3 });
});

test('a length running past the end of the file is torn: every prefix of the last record', (t) => {
  const last = ends[2];
  for (const cut of [last + 8, last + 9, last + 40, last + 3000, ends[3] - 1]) {
    for (const size of [7, 1 << 20]) {
      const entries = readAll(journal.subarray(0, cut), size);
      t.deepEqual(entries.map((e) => e.kind), ['record', 'record', 'record', 'torn'], `cut at ${cut}`);
      t.like(entries[3], { kind: 'torn', offset: last, bytes: cut - last });
    }
  }
});

test('zeros after the last record (preallocated space) are the end of the records', (t) => {
  for (const size of [7, 100, 1 << 20]) {
    const entries = readAll(Buffer.concat([journal, Buffer.alloc(5000)]), size);
    t.deepEqual(entries.map((e) => e.kind), ['record', 'record', 'record', 'record', 'end']);
    t.like(entries[4], { kind: 'end', offset: journal.length, bytes: 5000 });
  }
  t.deepEqual(readAll(Buffer.alloc(3000)).map((e) => e.kind), ['end'], 'a journal of zeros only holds nothing');
});

/** The journal as a writer that preallocates leaves it when a crash cuts the write of its last record at `cut`. */
function tornInPreallocated(records: Buffer[], cut: number, zeros = 4096): Buffer {
  const whole = Buffer.concat([...records, Buffer.alloc(zeros)]);
  const before = records.slice(0, -1).reduce((n, r) => n + r.length, 0);
  whole.fill(0, cut, before + records[records.length - 1].length);
  return whole;
}

test('a last record cut at a sector boundary in preallocated space is torn; one whose end was written is corrupt', (t) => {
  const records = changes.map(record);
  const last = ends[2];
  // Cuts at sector boundaries inside the last record (70 KB: many of them), the header's own included.
  for (const cut of [last + 4, ...Array.from({ length: 8 }, (_, i) => (Math.floor(last / 512) + 1 + i * 17) * 512)]) {
    if (cut <= last || cut >= ends[3]) continue;
    const aligned = cut % 512 === 0 ? cut : Math.ceil(cut / 512) * 512;
    const entries = readAll(tornInPreallocated(records, aligned), 1000);
    t.deepEqual(entries.map((e) => e.kind), ['record', 'record', 'record', 'torn'], `cut at ${aligned}`);
    t.like(entries[3], { kind: 'torn', offset: last });
  }
  // The same record complete but with a damaged byte, zeros after it: corruption.
  const damaged = Buffer.concat([journal, Buffer.alloc(4096)]);
  damaged[last + 1000] ^= 0x08;
  t.like(readAll(damaged, 1000)[3], { kind: 'corrupt', offset: last });
  // A length field grown into the zeros after it: a complete record with a damaged length, not a cut one.
  const grown = Buffer.concat([journal, Buffer.alloc(200_000)]);
  grown.writeUInt32LE(grown.readUInt32LE(last) + 0x10000, last);
  t.like(readAll(grown, 1000)[3], { kind: 'corrupt', offset: last });
  // Zeros inside it that stop short of its end (a hole, not a cut): corruption.
  const holed = Buffer.concat([journal, Buffer.alloc(4096)]);
  holed.fill(0, last + 1024, last + 4096);
  t.like(readAll(holed, 1000)[3], { kind: 'corrupt', offset: last });
});

test('a flipped byte in the middle record or in the last complete record is corruption, never cut', (t) => {
  for (const at of [ends[0] + 30, ends[2] + 20, ends[3] - 1, journal.length - 2]) {
    const damaged = Buffer.from(journal);
    damaged[at] ^= 0x10;
    const entries = readAll(damaged, 64);
    const last = entries[entries.length - 1];
    t.is(last.kind, 'corrupt', `byte ${at}`);
    t.regex((last as { reason: string }).reason, /checksum mismatch/);
  }
});

test('a length field grown past the end of the file on a complete record is corruption, not a torn tail', (t) => {
  for (const which of [1, 3]) {
    const damaged = Buffer.from(journal);
    const at = ends[which - 1];
    damaged.writeUInt32LE(damaged.readUInt32LE(at) + 0x01000000, at);
    const entries = readAll(damaged, 64);
    t.like(entries[entries.length - 1], { kind: 'corrupt', offset: at });
    t.regex((entries[entries.length - 1] as { reason: string }).reason, /length field/);
  }
});

test('a record too short to hold a change is corruption, even when its checksum matches', (t) => {
  const empty = Buffer.alloc(RECORD_HEADER); // length 0, crc32('') = 0
  const entries = readAll(Buffer.concat([journal, empty, Buffer.from('more')]), 64);
  t.like(entries[4], { kind: 'corrupt', offset: journal.length });
});

test('a read error is thrown, not taken for a torn tail', (t) => {
  const src = source(journal);
  const failing: ByteSource = { size: src.size, read: (into, o, l, p) => { if (p + l > 5000) throw new Error('EIO: i/o error'); return src.read(into, o, l, p); } };
  t.throws(() => [...journalEntries(failing, 1024)], { message: /EIO/ });
  const shrunk: ByteSource = { size: journal.length + 100, read: src.read };
  t.throws(() => [...journalEntries(shrunk, 1024)], { message: /ended at byte/ });
});

const arbChange = (seq: number) => fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }).map((bs) => change(seq, bs.map((b) => Buffer.from(b))));
const arbJournal = fc.integer({ min: 1, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbChange(i + 1))));

test('property: any single damaged byte of a journal is corruption, whatever the read buffer and preallocated zeros', (t) => {
  fc.assert(fc.property(arbJournal, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, 700, 4096), (cs, pos, xor, size, zeros) => {
    const records = Buffer.concat(cs.map(record));
    const buf = Buffer.concat([records, Buffer.alloc(zeros)]);
    const at = pos % records.length;
    buf[at] ^= xor;
    const entries = readAll(buf, size);
    const last = entries[entries.length - 1];
    // The one exception, by design: the last byte of the last record zeroed where it sits at a sector boundary reads
    // exactly as a write cut there.
    const cutLookalike = at === records.length - 1 && buf[at] === 0 && at % 512 === 0;
    return last.kind === 'corrupt' || (cutLookalike && last.kind === 'torn');
  }), { numRuns: 3000 });
  t.pass();
});

test('property: a last record cut at any sector boundary in preallocated space is torn, the earlier ones read back', (t) => {
  fc.assert(fc.property(arbJournal, fc.nat(), fc.integer({ min: 1, max: 200 }), fc.constantFrom(0, 1, 600, 4096), (cs, pick, size, zeros) => {
    const records = cs.map(record);
    const before = records.slice(0, -1).reduce((n, r) => n + r.length, 0);
    const end = before + records[records.length - 1].length;
    const boundaries: number[] = [];
    for (let c = Math.ceil((before + 1) / 512) * 512; c < end; c += 512) boundaries.push(c);
    if (boundaries.length === 0) return true;
    const entries = readAll(tornInPreallocated(records, boundaries[pick % boundaries.length], zeros), size);
    const last = entries[entries.length - 1];
    return entries.length === cs.length && last.kind === 'torn' && last.offset === before;
  }), { numRuns: 500 });
  t.pass();
});

test('property: any cut inside the last record is torn at that record, and the earlier ones read back', (t) => {
  fc.assert(fc.property(arbJournal, fc.nat(), fc.integer({ min: 1, max: 200 }), (cs, pos, size) => {
    const records = cs.map(record);
    const before = records.slice(0, -1).reduce((n, r) => n + r.length, 0);
    const cut = before + 1 + (pos % (records[records.length - 1].length - 1));
    const entries = readAll(Buffer.concat(records).subarray(0, cut), size);
    const last = entries[entries.length - 1];
    return entries.length === cs.length && last.kind === 'torn' && last.offset === before
      && entries.slice(0, -1).every((e, i) => e.kind === 'record' && decodeChange(e.payload).seq === cs[i].seq);
  }), { numRuns: 500 });
  t.pass();
});
