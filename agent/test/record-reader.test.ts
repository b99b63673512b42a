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

test('a zero-filled tail (a file extended but never written, after a power loss) is torn', (t) => {
  const entries = readAll(Buffer.concat([journal, Buffer.alloc(4096)]), 100);
  t.like(entries[4], { kind: 'torn', offset: journal.length, bytes: 4096 });
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

test('property: any single damaged byte of a journal is corruption, whatever the read buffer', (t) => {
  fc.assert(fc.property(arbJournal, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 1, max: 200 }), (cs, pos, xor, size) => {
    const buf = Buffer.concat(cs.map(record));
    const at = pos % buf.length;
    buf[at] ^= xor;
    const entries = readAll(buf, size);
    return entries[entries.length - 1].kind === 'corrupt';
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
