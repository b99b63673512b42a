// parseJsonBody without a server: strict UTF-8, no lone surrogates anywhere, no prototype keys, and otherwise exactly
// what JSON.parse gives.
import test from 'ava';
import fc from 'fast-check';
import { GovcError } from '../src/errors.js';
import { parseJsonBody } from '../src/transports/http/json-body.js';

function refused(t: import('ava').ExecutionContext, body: Buffer | string, code: string, message?: RegExp) {
  const e = t.throws(() => parseJsonBody(Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8')), { instanceOf: GovcError });
  t.is(e?.code, code, e?.message);
  t.is(e?.status, 400);
  if (message) t.regex(e?.message ?? '', message);
}

const bytes = (...parts: (string | number[])[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

test('invalid UTF-8 of every kind is invalid_utf8, with the offset of the first bad character', (t) => {
  const cases: [Buffer, number][] = [
    [bytes('{"a":"', [0xff], '"}'), 6], // never valid
    [bytes('{"a":"', [0xc0, 0xaf], '"}'), 6], // overlong "/"
    [bytes('{"a":"', [0xe0, 0x80, 0xaf], '"}'), 6], // overlong, 3 bytes
    [bytes('{"a":"', [0xed, 0xa0, 0x80], '"}'), 6], // a surrogate encoded directly (CESU-8)
    [bytes('{"a":"x', [0x80], '"}'), 7], // lone continuation byte
    [bytes('{"a":"', [0xe2, 0x82], '"}'), 6], // truncated 3-byte character
    [bytes('{"a":"', [0xf4, 0x90, 0x80, 0x80], '"}'), 6], // past U+10FFFF
    [bytes('{"a":"', [0xf8, 0x88, 0x80, 0x80, 0x80], '"}'), 6], // 5-byte form
    [bytes('{"a":"é', [0xe2, 0x82]), 8], // truncated at the very end
    [bytes('{"', [0xff], '":1}'), 2], // in a key
  ];
  for (const [buf, at] of cases) refused(t, buf, 'invalid_utf8', new RegExp(`at byte ${at}\\)`));
  // Far into a large body, across the chunks the locator checks natively (64 KiB each).
  const big = Buffer.concat([Buffer.from('{"a":"'), Buffer.from('é'.repeat(100_000)), Buffer.from([0xc3]), Buffer.from('"}')]);
  refused(t, big, 'invalid_utf8', new RegExp(`at byte ${6 + 200_000}\\)`));
});

test('a lone surrogate in any string, key or nesting level is invalid_utf8 and names where', (t) => {
  refused(t, '{"a":"\\ud800"}', 'invalid_utf8', /at \/a /);
  refused(t, '{"a":"x\\udfffy"}', 'invalid_utf8', /at \/a /);
  refused(t, '{"a":"\\ude00\\ud83d"}', 'invalid_utf8'); // a pair in the wrong order is two lone halves
  refused(t, '"\\ud800"', 'invalid_utf8', /at \/ /);
  refused(t, '{"files":[{"path":"ok"},{"path":"a\\ud800"}]}', 'invalid_utf8', /at \/files\/1\/path /);
  refused(t, '{"a":{"\\udc00":1}}', 'invalid_utf8', /\/a \(a key\)/);
  refused(t, '{"a/b~c":{"d":"\\ud800"}}', 'invalid_utf8', /at \/a~1b~0c\/d /);
  const deep = '['.repeat(10_000) + '"\\ud800"' + ']'.repeat(10_000);
  refused(t, deep, 'invalid_utf8');
});

test('well-formed escapes, escaped backslashes and astral characters pass unchanged', (t) => {
  t.deepEqual(parseJsonBody(Buffer.from('{"a":"\\ud83d\\ude00","b":"\\\\ud800","c":"😀","d":"\\u00e9\\n"}')), {
    a: '😀', b: '\\ud800', c: '😀', d: 'é\n',
  });
  // A byte order mark is ignored (RFC 8259 §8.1).
  t.deepEqual(parseJsonBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":1}')])), { a: 1 });
});

test('prototype keys are refused in any spelling and at any depth', (t) => {
  refused(t, '{"__proto__":{"admin":true}}', 'invalid_json', /__proto__/);
  refused(t, '{"a":[{"\\u005f_proto__":1}]}', 'invalid_json', /__proto__/);
  refused(t, '{"constructor":{"prototype":{"x":1}}}', 'invalid_json', /constructor/);
  // Harmless uses of the words are fine.
  t.deepEqual(parseJsonBody(Buffer.from('{"constructor":"x","m":"__proto__"}')), { constructor: 'x', m: '__proto__' });
  t.is(({} as Record<string, unknown>).admin, undefined);
});

test('malformed JSON and empty bodies are invalid_json; deep nesting is no stack overflow', (t) => {
  refused(t, '', 'invalid_json', /empty/);
  refused(t, Buffer.from([0xef, 0xbb, 0xbf]), 'invalid_json', /empty/);
  refused(t, '{"a":', 'invalid_json');
  refused(t, '{"a":1}}', 'invalid_json');
  refused(t, "{'a':1}", 'invalid_json');
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  t.true(Array.isArray(parseJsonBody(Buffer.from(deep))));
  const deepEscaped = '{"a":'.repeat(100_000) + '"\\u00e9"' + '}'.repeat(100_000);
  t.is(typeof parseJsonBody(Buffer.from(deepEscaped)), 'object');
});

test('property: any JSON value with well-formed strings parses to what JSON.parse gives', (t) => {
  const wellFormed = fc.jsonValue({ maxDepth: 4 }).filter((v) => JSON.stringify(v).isWellFormed() && !JSON.stringify(v).includes('__proto__'));
  fc.assert(fc.property(wellFormed, (v) => {
    const text = JSON.stringify(v);
    t.deepEqual(parseJsonBody(Buffer.from(text, 'utf8')), JSON.parse(text));
  }), { numRuns: 300 });
});

test('property: a lone surrogate anywhere in a string is refused, and invalid bytes anywhere are refused', (t) => {
  const lone = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
  fc.assert(fc.property(fc.string(), lone, fc.string(), (a, s, b) => {
    fc.pre((a + s + b).isWellFormed() === false);
    t.throws(() => parseJsonBody(Buffer.from(JSON.stringify({ k: [a + s + b] }))), { instanceOf: GovcError });
  }), { numRuns: 200 });
  fc.assert(fc.property(fc.string(), fc.integer({ min: 0x80, max: 0xff }), (s, bad) => {
    const body = Buffer.concat([Buffer.from(`{"k":"${s.replace(/["\\]/g, '')}`), Buffer.from([bad]), Buffer.from('"}')]);
    // A byte from 0x80 after a whole character is a stray continuation byte or a lead byte cut short by the quote.
    const e = t.throws(() => parseJsonBody(body), { instanceOf: GovcError });
    t.is(e?.code, 'invalid_utf8');
  }), { numRuns: 200 });
});
