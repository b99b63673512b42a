// Measures how long an agent takes to answer /healthz while something else runs: a probe every `everyMs`, each timed from
// send to answer, so a blocked event loop shows as one long answer. The prober is a process of its own
// (probe-process.ts), so the test's work cannot delay it. Also samples the agent's RSS from /proc.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProbeReport {
  probes: number;
  maxMs: number;
  /** The slowest answers, slowest first. */
  worstMs: number[];
  /** Largest RSS seen, in bytes (when a pid was given). */
  maxRss: number;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Probes `root`/healthz every `everyMs` (one probe at a time, kept-alive connection) until `work` settles. */
export async function probeWhile<T>(root: string, work: Promise<T>, opts: { everyMs?: number; pid?: number } = {}): Promise<{ report: ProbeReport; result: T }> {
  const script = new URL('./probe-process.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [script, root, String(opts.everyMs ?? 10), opts.pid === undefined ? '' : String(opts.pid)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // let the prober take its first answers before the work starts in earnest
  await new Promise((r) => setTimeout(r, 100));
  let result: T;
  try {
    result = await work;
  } finally {
    child.stdin.end();
    await exited;
  }
  const { times, maxRss } = JSON.parse(out) as { times: number[]; maxRss: number };
  const worst = [...times].sort((a, b) => b - a).slice(0, 5).map((x) => Math.round(x * 10) / 10);
  return { report: { probes: times.length, maxMs: worst[0] ?? 0, worstMs: worst, maxRss }, result };
}
