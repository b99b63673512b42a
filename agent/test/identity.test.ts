// Identities, dates and messages the API takes: the pure rules, and git as the oracle for what it writes and accepts.
import test from 'ava';
import fc from 'fast-check';
import { GovcError } from '../src/errors.js';
import { normaliseMessage, toIdentity } from '../src/commands/identity.js';
import { encodeCommit, formatIdentity, hashObject, identityTime } from '../src/git/objects.js';
import { git, gitText, makeTempRepo, removeTempDir } from './helpers/git-cli.js';

const refusedWith = (t: import('ava').ExecutionContext, f: () => unknown, code: string) => {
  const e = t.throws(f, { instanceOf: GovcError }, code);
  t.is(e?.code, code);
  t.is(e?.status, 400);
};

test('dates: ISO-8601 with Z or an offset become git seconds and ±hhmm', (t) => {
  t.deepEqual(identityTime('2024-05-01T12:00:00+02:00'), { timestamp: 1714557600, timezone: '+0200' });
  t.deepEqual(identityTime('2024-05-01T10:00:00Z'), { timestamp: 1714557600, timezone: '+0000' });
  t.deepEqual(identityTime('2024-05-01t10:00:00z'), { timestamp: 1714557600, timezone: '+0000' });
  t.deepEqual(identityTime('2024-05-01T10:00:00.999999Z'), { timestamp: 1714557600, timezone: '+0000' });
  t.deepEqual(identityTime('2024-05-01T04:15:00-05:45'), { timestamp: 1714557600, timezone: '-0545' });
  t.deepEqual(identityTime('2024-05-01T10:00:00-00:00'), { timestamp: 1714557600, timezone: '+0000' });
  t.deepEqual(identityTime('1970-01-01T00:00:00Z'), { timestamp: 0, timezone: '+0000' });
  t.deepEqual(identityTime('1970-01-01T00:00:00-01:00'), { timestamp: 3600, timezone: '-0100' });
  t.deepEqual(identityTime('2024-02-29T00:00:00Z').timestamp, 1709164800);
  t.deepEqual(identityTime('9999-12-31T23:59:59-23:59'), { timestamp: 253402387139, timezone: '-2359' });
  t.deepEqual(identityTime(undefined, new Date(1714557600_500)), { timestamp: 1714557600, timezone: '+0000' });
});

test('dates git would not write, or would write as another date, are refused', (t) => {
  const bad = [
    '1', '1714557600', '', 'yesterday', 'now',
    '2024-05-01T12:00:00', '2024-05-01 12:00:00+02:00', '2024-05-01T12:00+02:00', '2024-05-01', '20240501T120000Z',
    '2024-05-01T12:00:00+0200', '2024-05-01T12:00:00+02', '2024-05-01T12:00:00 +02:00', ' 2024-05-01T12:00:00Z', '2024-05-01T12:00:00Z\n',
    '1969-12-31T23:59:59Z', '1970-01-01T00:30:00+01:00', '1969-12-31T23:30:00-01:00', '0000-01-01T00:00:00Z', '0070-01-01T00:00:00Z', '+275760-09-13T00:00:00Z', '10000-01-01T00:00:00Z',
    '2024-02-30T12:00:00Z', '2023-02-29T12:00:00Z', '2024-13-01T12:00:00Z', '2024-00-10T12:00:00Z', '2024-04-31T12:00:00Z',
    '2024-05-01T24:00:00Z', '2024-05-01T12:60:00Z', '2024-05-01T12:00:60Z',
    '2024-05-01T12:00:00+24:00', '2024-05-01T12:00:00-99:00', '2024-05-01T12:00:00+02:60',
    '２０２４-05-01T12:00:00Z', '2024-05-01T12:00:00.Z', '2024-05-01T12:00:00.1234567890Z',
  ];
  for (const date of bad) refusedWith(t, () => toIdentity({ name: 'A', email: 'a@x', date }, 'author'), 'invalid_date');
});

test('names and emails: git delimiters and control characters refused, edge spaces trimmed, the rest kept', (t) => {
  const id = (name: string, email = 'a@x') => toIdentity({ name, email, date: '2024-05-01T12:00:00Z' }, 'author');
  t.is(id('  Ada Lovelace  ').name, 'Ada Lovelace');
  t.is(id('Ada', '  ada@x  ').email, 'ada@x');
  t.is(id('Ada', '').email, '');
  for (const kept of ['Zoë Ünïcødé', '名前', 'O\'Brien "Bob", Jr.;', 'a\\b', 'Ada\u00a0L', '😀', 'x'.repeat(256)]) t.is(id(kept).name, kept);
  for (const name of ['a<b', 'a>b', '<', 'a\nb', 'a\rb', 'a\0b', 'a\tb', 'a\x1b[31mb', 'a\x7fb', 'a\u0085b', '   ', '\u00a0', '']) {
    refusedWith(t, () => id(name), 'invalid_identity');
  }
  for (const email of ['a<b@x', 'a@x>', 'a\n@x', 'a@x\0', 'a\t@x', '\x1b@x']) refusedWith(t, () => id('Ada', email), 'invalid_identity');
  refusedWith(t, () => id('a\ud800b'), 'invalid_identity');
});

test('messages: blank, NUL and lone surrogates refused; the rest stored as sent, newline-terminated', (t) => {
  t.is(normaliseMessage('subject'), 'subject\n');
  t.is(normaliseMessage('  subject  \n\n\n# not a comment\n\n'), '  subject  \n\n\n# not a comment\n\n');
  t.is(normaliseMessage('tab\tcr\r\x1b esc'), 'tab\tcr\r\x1b esc\n');
  for (const m of ['', ' ', '\n\n', 'a\0b', 'a\udc00']) refusedWith(t, () => normaliseMessage(m), 'invalid_message');
});

// git's own parser of ISO dates stops at 2099 (tm_to_time_t in date.c), so the oracle draws dates before 2100; and it
// reads "-00:01" as no offset at all (-1 minute is its "unset" marker in parse_date_basic), so that one is left out.
const isoDate = fc.record({
  ms: fc.integer({ min: 0, max: Date.UTC(2099, 11, 31, 23, 59, 59) - 1 }),
  offset: fc.oneof(fc.constant(0), fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), fc.constantFrom(-720, 840, 345, 330, -570)),
  zulu: fc.boolean(),
  fraction: fc.boolean(),
}).filter(({ ms, offset }) => offset !== -1 && ms / 1000 + offset * 60 >= 0 && ms + offset * 60_000 < Date.UTC(2100, 0, 1)).map(({ ms, offset, zulu, fraction }) => {
  const local = new Date(Math.floor(ms / 1000) * 1000 + offset * 60_000).toISOString().slice(0, 19) + (fraction ? '.25' : '');
  if (offset === 0 && zulu) return local + 'Z';
  const abs = Math.abs(offset);
  return `${local}${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
});

test('oracle: for any date we accept, git commit-tree given the same ISO date writes the same seconds and offset', (t) => {
  const repo = makeTempRepo({ bare: true });
  try {
    const tree = gitText(['mktree'], { cwd: repo, input: '' });
    fc.assert(fc.property(isoDate, (date) => {
      const ours = identityTime(date);
      const commit = gitText(['commit-tree', tree, '-m', 'x'], { cwd: repo, env: { GIT_AUTHOR_DATE: date } });
      const line = gitText(['cat-file', 'commit', commit], { cwd: repo }).split('\n').find((l) => l.startsWith('author '));
      // "-00:00" aside (git writes +0000 for every zero offset, as we do), git keeps the offset as given.
      t.is(line?.replace(/^author .*> /, ''), `${ours.timestamp} ${ours.timezone}`, date);
    }), { numRuns: 40 });
  } finally {
    removeTempDir(repo);
  }
});

test('oracle: commits with extreme accepted dates and identities pass git fsck --strict and read back the same', (t) => {
  const repo = makeTempRepo({ bare: true });
  try {
    const tree = gitText(['mktree'], { cwd: repo, input: '' });
    const ids = [
      toIdentity({ name: '  Zoë "Z" O\'Brien, Jr.  ', email: '', date: '9999-12-31T23:59:59-23:59' }, 'author'),
      toIdentity({ name: '名前', email: ' a@x ', date: '1970-01-01T00:00:00Z' }, 'author'),
      toIdentity({ name: 'x', email: 'a;b:c@d', date: '2024-05-01T12:00:00+23:59' }, 'author'),
      // The earliest local time west of UTC: git shows it (an earlier one makes `git log` die, "before Unix epoch").
      toIdentity({ name: 'w', email: 'w@x', date: '1970-01-01T00:00:00-12:00' }, 'author'),
    ];
    for (const author of ids) {
      const data = encodeCommit({ tree, parents: [], author, committer: author, extraHeaders: [], message: normaliseMessage('m') });
      const id = gitText(['hash-object', '-t', 'commit', '-w', '--stdin'], { cwd: repo, input: data });
      t.is(id, hashObject('commit', data));
      git(['update-ref', `refs/heads/b${id.slice(0, 6)}`, id], { cwd: repo });
      const shown = gitText(['log', '-1', '--format=%an <%ae> %at|%ad', '--date=raw', id], { cwd: repo }).split('|');
      t.is(shown[0], formatIdentity(author).replace(/ [+-]\d{4}$/, ''));
      t.is(shown[1], `${author.timestamp} ${author.timezone}`);
      gitText(['log', '-1', '--format=%ad %cd', '--date=iso-strict', id], { cwd: repo });
    }
    git(['fsck', '--strict', '--no-dangling'], { cwd: repo });
    t.pass();
  } finally {
    removeTempDir(repo);
  }
});
