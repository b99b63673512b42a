// The JSON body parser benchmark: parseJsonBody (strict UTF-8, lone surrogates, prototype keys) against the baseline it
// replaced (Buffer → string → JSON.parse, which turns bad bytes into U+FFFD) on the bodies the agent takes — a 1 KiB
// commit, a 1 MiB file, a 16 MiB file, and a body full of \u escapes (the slow path: every string is checked).
// Ratios > 1 mean parseJsonBody is slower. One JSON line at the end.
import { parseJsonBody } from '../agent/src/transports/http/json-body.js';
import { printTable } from './table.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function commit(contentBytes: number, escapes = false): Buffer {
  const line = escapes ? 'caf\u00e9 \u0001 \u2028 tab\t quote" \n' : 'the quick brown fox jumps over the lazy dog 0123456789\n';
  const content = line.repeat(Math.ceil(contentBytes / line.length)).slice(0, contentBytes);
  return Buffer.from(JSON.stringify({
    branch: 'main', message: 'bench', author: { name: 'Bench', email: 'bench@example.com', date: '2024-05-01T12:00:00+02:00' },
    files: [{ path: 'src/file.txt', content }],
  }));
}

/** Median over rounds of the time per parse, in microseconds. */
function timeIt(parse: (b: Buffer) => unknown, body: Buffer): number {
  const iterations = Math.max(3, Math.floor(20_000_000 / (body.length + 2000)));
  const samples: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) parse(body);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000 / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export async function jsonBodyBench(): Promise<void> {
  const baseline = (b: Buffer) => JSON.parse(b.toString('utf8'));
  const bodies: [string, Buffer][] = [
    ['commit 1 KiB', commit(1024)],
    ['commit 1 MiB', commit(1 << 20)],
    ['commit 16 MiB', commit(16 << 20)],
    ['commit 1 MiB, escapes', commit(1 << 20, true)],
  ];
  const rows: (string | number)[][] = [];
  const ratios: Record<string, number> = {};
  for (const [what, body] of bodies) {
    // Warm both paths before measuring.
    for (let i = 0; i < 3; i++) { baseline(body); parseJsonBody(body); }
    const base = timeIt(baseline, body);
    const strict = timeIt(parseJsonBody, body);
    const key = what.replace(/[^a-z0-9]+/gi, '_').toLowerCase().replace(/_$/, '');
    ratios[`${key}_ratio_baseline`] = Math.round((strict / base) * 100) / 100;
    rows.push([what, body.length, Math.round(base), Math.round(strict), ratios[`${key}_ratio_baseline`]]);
  }
  printTable(['body', 'bytes', 'JSON.parse µs', 'parseJsonBody µs', 'ratio'], rows);
  process.stdout.write(JSON.stringify({ bench: 'json-body', ...ratios }) + '\n');
}
