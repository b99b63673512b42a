// The JSON body parser benchmark: parseJsonBody (strict UTF-8, lone surrogates, prototype keys) against what fastify did
// before it (Buffer → string, which turns bad bytes into U+FFFD, then secure-json-parse refusing prototype keys) and
// against bare JSON.parse (the floor), on the bodies the agent takes — a 1 KiB commit, a 1 MiB file, a 16 MiB file, and a
// body full of \u escapes (the slow path: every string is checked). Ratios > 1 mean parseJsonBody is slower. One JSON
// line at the end.
import { parseJsonBody } from '../agent/src/transports/http/json-body.js';
import secureJson from 'secure-json-parse';
import { printTable } from './table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);

function commit(contentBytes: number, escapes = false): Buffer {
  const line = escapes ? 'caf\u00e9 \u0001 \u2028 tab\t quote" \n' : 'the quick brown fox jumps over the lazy dog 0123456789\n';
  const content = line.repeat(Math.ceil(contentBytes / line.length)).slice(0, contentBytes);
  return Buffer.from(JSON.stringify({
    branch: 'main', message: 'bench', author: { name: 'Bench', email: 'bench@example.com', date: '2024-05-01T12:00:00+02:00' },
    files: [{ path: 'src/file.txt', content }],
  }));
}

/** Microseconds per parse, one round. */
function timeIt(parse: (b: Buffer) => unknown, body: Buffer, iterations: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) parse(body);
  return Number(process.hrtime.bigint() - t0) / 1000 / iterations;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function jsonBodyBench(): Promise<void> {
  const floor = (b: Buffer) => JSON.parse(b.toString('utf8'));
  // fastify's default JSON parser, as configured before (protoAction and constructorAction 'error').
  const fastifyDefault = (b: Buffer) => secureJson.parse(b.toString('utf8'), undefined, { protoAction: 'error', constructorAction: 'error' });
  const bodies: [string, Buffer][] = [
    ['commit 1 KiB', commit(1024)],
    ['commit 1 MiB', commit(1 << 20)],
    ['commit 16 MiB', commit(16 << 20)],
    ['commit 1 MiB, escapes', commit(1 << 20, true)],
  ];
  const rows: (string | number)[][] = [];
  const ratios: Record<string, number> = {};
  for (const [what, body] of bodies) {
    for (let i = 0; i < 3; i++) { floor(body); fastifyDefault(body); parseJsonBody(body); }
    // Rounds alternate the parsers, so that load from elsewhere on the machine hits them alike; ratios are taken per
    // round and the median round is reported.
    const iterations = Math.max(3, Math.floor(20_000_000 / (body.length + 2000)));
    const t = { floor: [] as number[], fastify: [] as number[], strict: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      t.floor.push(timeIt(floor, body, iterations));
      t.fastify.push(timeIt(fastifyDefault, body, iterations));
      t.strict.push(timeIt(parseJsonBody, body, iterations));
    }
    const key = what.replace(/[^a-z0-9]+/gi, '_').toLowerCase().replace(/_$/, '');
    const ratio = (of: number[]) => Math.round(median(t.strict.map((s, i) => s / of[i])) * 100) / 100;
    ratios[`${key}_ratio_fastify_default`] = ratio(t.fastify);
    ratios[`${key}_ratio_json_parse`] = ratio(t.floor);
    rows.push([what, body.length, Math.round(median(t.floor)), Math.round(median(t.fastify)), Math.round(median(t.strict)), ratios[`${key}_ratio_fastify_default`], ratios[`${key}_ratio_json_parse`]]);
  }
  printTable(['body', 'bytes', 'JSON.parse µs', 'fastify default µs', 'parseJsonBody µs', '÷ fastify', '÷ JSON.parse'], rows);
  process.stdout.write(JSON.stringify({ bench: 'json-body', ...ratios }) + '\n');
}
