// fast-check generators of hostile HTTP requests, derived from the agent's own OpenAPI document: every route and method
// it lists, with path segments, query strings, bodies (from each route's JSON schema, then broken), content types and
// headers drawn from what a confused or malicious client sends. `Vocabulary` seeds them with names that exist (repos,
// refs, paths, shas), so that requests reach deep into handlers instead of stopping at "not found".
import fc from 'fast-check';

export interface Vocabulary {
  repos: string[];
  refs: string[];
  paths: string[];
  shas: string[];
  /** Real bundles (exports of the fixtures), for the binary routes. */
  bundles: Buffer[];
}

export interface FuzzRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface OpenApiOperation {
  parameters?: { in: string; name: string; schema?: JsonSchema }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  pattern?: string;
}

export type OpenApiPaths = Record<string, Record<string, OpenApiOperation>>;

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** Strings that have broken parsers before: traversal, NUL, encodings, git revision syntax, unicode, the very long. */
const HOSTILE_STRINGS = [
  '', ' ', '.', '..', '../..', '../../etc/passwd', '/', '//', 'a//b', 'a/./b', '.git', '.git/config', '.GIT', 'git~1', '.git.',
  '\0', 'a\0b', '\n', 'a\nb', '\r\n', '\t', '\x1b[31m', '\x7f', '\u0085', '\u200c', '\u202e', '\ufeff', '\ud800', '\udfff', 'a\ud800b',
  'ü', 'é/😀', '名前', '😀'.repeat(50), 'x'.repeat(300), 'y'.repeat(5000),
  'HEAD', 'HEAD~1', 'HEAD^', 'HEAD^{tree}', 'main~1', 'main^2', 'main@{1}', '@', '@{-1}', 'a..b', 'a...b', '...', '-x', '--upload-pack=x',
  'refs/heads/main', 'refs/tags/v1', 'refs/../x', 'x.lock', '~', '^', ':', '?', '*', '[', '\\', 'a b', '%', '%00', '%2e%2e', '0', '-1',
  '0'.repeat(40), 'f'.repeat(40), 'F'.repeat(40), 'a'.repeat(39), 'a'.repeat(41), 'abc1234', 'constructor', '__proto__', 'toString',
];

/** Path segments as they go on the wire: percent-encoded traversal, NUL, invalid UTF-8, encoded slashes. */
const HOSTILE_SEGMENTS = [
  '..', '.', '%2e%2e', '%2E%2E%2F', '..%2F..%2Fetc', '%00', 'a%00b', '%2F', '%5C', '%20', '+', '%', '%zz', '%C3', '%ED%A0%80', '%FF%FE',
  '%C0%AF', '%F0%9F%98%80', '%E2%80%AE', '%0A', '%0D%0A', '~', '@%7B1%7D', 'HEAD~1', 'main%5E%7Btree%7D', 'a...b', '...', 'x'.repeat(3000),
  encodeURIComponent('é/😀'), 'a;b', 'a,b', '%25', '%252e', '*', '%2A', ';', '?', '#',
];

const CONTENT_TYPES = [
  'application/json', 'application/json; charset=utf-8', 'application/json; charset=latin1', 'APPLICATION/JSON', 'application/json;',
  'application/x-git-bundle', 'application/octet-stream', 'text/plain', 'text/plain; charset=utf-8', 'multipart/form-data; boundary=x',
  'application/x-www-form-urlencoded', 'application/vnd.api+json', 'application/json, text/plain', '', ';', 'a/b/c', '*/*',
];

/** Any UTF-16 code unit, lone surrogates included (which JSON.stringify writes as \\uXXXX escapes). */
const UTF16_UNIT = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

/** Values of every JSON type that no schema field expects as they come. */
const wrongValue = (): fc.Arbitrary<unknown> => fc.oneof(
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, true, false, null, [], {}, '', [[]], { '': '' }),
  fc.integer(), fc.double(), fc.string(), fc.array(fc.string(), { maxLength: 3 }),
  fc.integer({ min: 1, max: 400 }).map((d) => JSON.parse('['.repeat(d) + ']'.repeat(d)) as unknown),
  fc.constant(JSON.parse('{"__proto__":{"polluted":1}}') as unknown),
  fc.constant({ constructor: { prototype: { polluted: 1 } } }),
);

function stringFor(vocab: Vocabulary, schema: JsonSchema): fc.Arbitrary<string> {
  const pools: fc.Arbitrary<string>[] = [fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.string({ unit: UTF16_UNIT, maxLength: 8 })];
  if (schema.enum) pools.push(fc.constantFrom(...(schema.enum as string[])), fc.constantFrom(...(schema.enum as string[])));
  if (schema.pattern?.includes('0-9a-f')) pools.push(fc.constantFrom(...vocab.shas), fc.constantFrom(...vocab.shas));
  pools.push(fc.constantFrom(...vocab.refs, ...vocab.paths, ...vocab.repos, ...vocab.shas));
  pools.push(fc.constantFrom('2024-05-01T12:00:00+02:00', '1', '1969-12-31T23:59:59Z', '9999-12-31T23:59:59-23:59', '2024-05-01T12:00:00', 'now'));
  return fc.oneof(...pools);
}

/** A value that follows `schema` most of the time and breaks it some of the time, at every depth. */
export function fromSchema(vocab: Vocabulary, schema: JsonSchema, depth = 0): fc.Arbitrary<unknown> {
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'string'];
  const fitting: fc.Arbitrary<unknown>[] = types.map((type) => {
    switch (type) {
      case 'object': {
        const props = Object.entries(schema.properties ?? {});
        const required = new Set(schema.required ?? []);
        const fields = props.map(([k, s]) => fc.tuple(fc.constant(k), fromSchema(vocab, s, depth + 1), fc.nat(99)));
        return fc.tuple(fc.tuple(...fields), fc.option(fc.tuple(fc.constantFrom(...HOSTILE_STRINGS, 'surprise'), wrongValue()), { freq: 8 }))
          .map(([entries, extra]) => {
            const out: Record<string, unknown> = {};
            for (const [k, v, roll] of entries) if (required.has(k) ? roll < 95 : roll < 50) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
            if (extra) Object.defineProperty(out, extra[0], { value: extra[1], enumerable: true, writable: true, configurable: true });
            return out;
          });
      }
      case 'array':
        return fc.array(schema.items ? fromSchema(vocab, schema.items, depth + 1) : wrongValue(), { maxLength: depth > 1 ? 2 : 4 });
      case 'integer':
        return fc.oneof(fc.integer({ min: -2, max: 2000 }), fc.constantFrom(0, 2 ** 31, 2 ** 53, -(2 ** 53)));
      case 'number':
        return fc.double();
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      default:
        return stringFor(vocab, schema);
    }
  });
  return fc.oneof({ arbitrary: fc.oneof(...fitting), weight: 9 }, { arbitrary: wrongValue(), weight: 1 });
}

/** Breaks a serialised JSON body the ways a transport or a client bug would. */
function corruptJson(text: string): fc.Arbitrary<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  return fc.oneof(
    { arbitrary: fc.constant(bytes), weight: 25 },
    fc.tuple(fc.nat(bytes.length), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0]))
      .map(([at, bad]) => Buffer.concat([bytes.subarray(0, at), Buffer.from(bad), bytes.subarray(at)])),
    fc.nat(bytes.length).map((at) => bytes.subarray(0, at)),
    fc.constant(Buffer.from(text.replace(/"([^"\\]{1,8})"/, '"$1\\ud800"'), 'utf8')),
    fc.constant(Buffer.from(text.replace(/^\{/, '{"__proto__":{"polluted":true},'), 'utf8')),
    fc.constant(Buffer.from(text.replace(/^\{/, '{"\\u005f_proto__":{"polluted":true},'), 'utf8')),
    fc.constant(Buffer.from(text, 'latin1')),
    fc.constant(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes])),
    fc.integer({ min: 1000, max: 100_000 }).map((d) => Buffer.from('['.repeat(d) + ']'.repeat(d))),
    fc.constant(Buffer.from('{"a":' + '1'.repeat(400) + '}')),
  );
}

function binaryBody(vocab: Vocabulary): fc.Arbitrary<Buffer> {
  const real = fc.constantFrom(...vocab.bundles);
  return fc.oneof(
    real,
    fc.tuple(real, fc.nat(), fc.integer({ min: 1, max: 255 })).map(([b, at, x]) => {
      const copy = Buffer.from(b);
      copy[at % copy.length] ^= x;
      return copy;
    }),
    fc.tuple(real, fc.nat()).map(([b, at]) => b.subarray(0, at % b.length)),
    fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a)),
    fc.constantFrom(Buffer.alloc(0), Buffer.from('# v2 git bundle\n'), Buffer.from('# v2 git bundle\n\nPACK'), Buffer.from('# v3 git bundle\n@object-format=sha256\n\n'),
      Buffer.from(`# v2 git bundle\n-${'0'.repeat(40)}\n${'f'.repeat(40)} refs/heads/x\n\n`)),
  );
}

function segment(vocab: Vocabulary, name: string): fc.Arbitrary<string> {
  const real = name === 'repo' ? [...vocab.repos, ...vocab.repos.slice(0, 3), ...vocab.repos.slice(0, 3)] : name === 'sha' ? [...vocab.shas, ...vocab.refs] : [...vocab.refs, ...vocab.paths];
  const compare = fc.tuple(fc.constantFrom(...vocab.refs, ...vocab.shas, ...HOSTILE_SEGMENTS), fc.constantFrom(...vocab.refs, ...vocab.shas, ...HOSTILE_SEGMENTS))
    .map(([a, b]) => `${encodeURI(a)}...${encodeURI(b)}`);
  return fc.oneof(
    { arbitrary: fc.constantFrom(...real).map((s) => s.split('/').map(encodeURIComponent).join('/')), weight: 14 },
    { arbitrary: fc.constantFrom(...HOSTILE_SEGMENTS), weight: 3 },
    { arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent), weight: 1 },
    { arbitrary: compare, weight: name === '*' ? 4 : 0 },
  );
}

function queryString(vocab: Vocabulary, op: OpenApiOperation): fc.Arbitrary<string> {
  const declared = (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const key = fc.constantFrom(...declared, ...declared, 'limit', 'ref', 'surprise', '__proto__', 'constructor', '', 'a[b]', 'ref[]');
  const value = fc.oneof(
    fc.constantFrom(...vocab.refs, ...vocab.paths, ...vocab.shas).map(encodeURIComponent),
    fc.constantFrom('1', '0', '-1', '1.5', '1e309', '99999999999999999999', 'NaN', 'true', '', '%00', '%ED%A0%80', '%FF', '%', 'x'.repeat(2000)),
    fc.constantFrom(...HOSTILE_SEGMENTS),
    fc.string({ maxLength: 10 }).map(encodeURIComponent),
  );
  return fc.array(fc.tuple(key, value, fc.boolean()), { maxLength: 4 })
    .map((pairs) => (pairs.length === 0 ? '' : '?' + pairs.map(([k, v, bare]) => (bare && v === '' ? k : `${k}=${v}`)).join('&')));
}

/** Mostly absent (the request stays well-formed enough to reach a handler), sometimes one of `values`. */
const sometimes = <T>(percent: number, values: fc.Arbitrary<T>) =>
  fc.oneof({ arbitrary: fc.constant(null), weight: 100 - percent }, { arbitrary: values, weight: percent });

function headers(vocab: Vocabulary, bodyLength: number | undefined): fc.Arbitrary<Record<string, string>> {
  return fc.record({
    contentType: sometimes(12, fc.constantFrom(...CONTENT_TYPES)),
    ifNoneMatch: sometimes(20, fc.oneof(fc.constantFrom(...vocab.shas).map((s) => `"${s}"`), fc.constantFrom('*', 'W/"x"', '"', '', '"a", "b"', 'x'.repeat(500)))),
    seq: sometimes(20, fc.constantFrom('0', '1', '999999999', '-1', 'abc', '1.5', '1e308', '', '99999999999999999999999')),
    requestId: sometimes(10, fc.constantFrom('ok-id', '../x', 'x'.repeat(200), '%00', '')),
    contentLength: sometimes(5, fc.oneof(fc.integer({ min: 0, max: 5000 }).map(String), fc.constantFrom('-1', 'abc', '1e3', '', ' 1', '99999999999999999'))),
    accept: sometimes(10, fc.constantFrom('application/json', 'text/html', '*/*', 'application/x-git-bundle', '')),
  }).map((h) => {
    const out: Record<string, string> = {};
    if (h.contentType !== null) out['content-type'] = h.contentType;
    if (h.ifNoneMatch !== null) out['if-none-match'] = h.ifNoneMatch;
    if (h.seq !== null) out['x-govc-seq'] = h.seq;
    if (h.requestId !== null) out['x-request-id'] = h.requestId;
    if (h.accept !== null) out.accept = h.accept;
    // A lie about the body's length (or a length without a body), in place of the true one.
    if (h.contentLength !== null && (bodyLength === undefined || h.contentLength !== String(bodyLength))) out['content-length'] = h.contentLength;
    return out;
  });
}

/** One request to one operation of the OpenAPI document, or to a path that is not in it at all. */
export function fuzzRequest(vocab: Vocabulary, paths: OpenApiPaths): fc.Arbitrary<FuzzRequest> {
  const operations = Object.entries(paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method: method.toUpperCase(), op })));
  return fc.constantFrom(...operations).chain(({ path, method, op }) => {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const jsonSchema = op.requestBody?.content?.['application/json']?.schema;
    const body: fc.Arbitrary<Buffer | undefined> = jsonSchema
      ? fc.oneof({ arbitrary: fromSchema(vocab, jsonSchema).chain((v) => corruptJson(JSON.stringify(v) ?? 'null')), weight: 9 }, { arbitrary: fc.constant(undefined), weight: 1 })
      : method === 'POST' ? fc.option(binaryBody(vocab), { freq: 9 }).map((b) => b ?? undefined) : fc.option(fc.constantFrom(Buffer.from('{}'), Buffer.from('x')), { freq: 8 }).map((b) => b ?? undefined);
    return fc.record({
      method: fc.oneof({ arbitrary: fc.constant(method), weight: 8 }, { arbitrary: fc.constantFrom(...METHODS), weight: 1 }),
      segments: fc.tuple(...names.map((n) => segment(vocab, n))),
      query: queryString(vocab, op),
      body,
      trailingSlash: fc.nat(19),
    }).chain(({ method: m, segments, query, body: b, trailingSlash }) => headers(vocab, b?.length).map((h) => {
      let url = path;
      names.forEach((n, i) => (url = url.replace(`{${n}}`, segments[i])));
      if (trailingSlash === 0) url += '/';
      const wantsJson = jsonSchema !== undefined;
      if (b !== undefined && !('content-type' in h)) h['content-type'] = wantsJson ? 'application/json' : 'application/x-git-bundle';
      return { method: m, url: url + query, headers: h, body: b };
    }));
  });
}
