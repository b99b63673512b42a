// Measures how long an agent takes to answer /healthz while something else runs: a probe every `everyMs`, each timed from
// send to answer, so a blocked event loop shows as one long answer. The prober is a process of its own
// (probe-process.ts), so the test's work cannot delay it. With the agent's pid it also reads, per probe, the CPU time
// its main thread used and the agent's RSS; with an idle control agent probed at the same time it tells the agent's own
// delays from the machine's (other processes, the VM).
import type { ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProbeReport {
  probes: number;
  /** Slowest answer under load, ms. */
  maxMs: number;
  /** The slowest answers, slowest first. */
  worstMs: number[];
  /** Most CPU the agent's main thread used during one probe, ms (10 ms resolution; 0 without a pid). */
  maxBusyMs: number;
  /** Slowest answer of the agent, idle, just before the work started. */
  baselineMaxMs: number;
  /** Slowest answer of the idle control agent meanwhile (0 without one): how slow the machine itself answers. */
  controlMaxMs: number;
  /**
   * The agent's own share of its slowest answer: each answer's time less the slowest control answer overlapping it
   * (without a control, the answer's time).
   */
  maxOwnMs: number;
  /** Largest RSS seen under load, in bytes (when a pid was given). */
  maxRss: number;
}

/** Resident set size of a process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** CPU time (user + system) of a process's main thread, ms — the thread running its event loop. */
export function mainThreadCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms (USER_HZ = 100)
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** Probes `root`/healthz every `everyMs` (one probe at a time, kept-alive connection) until `work` settles. */
export async function probeWhile<T>(
  root: string, work: Promise<T> | (() => Promise<T>), opts: { everyMs?: number; pid?: number; controlRoot?: string } = {},
): Promise<{ report: ProbeReport; result: T }> {
  const script = new URL('./probe-process.js', import.meta.url).pathname;
  const child = spawn(process.execPath, [script, root, String(opts.everyMs ?? 10), opts.pid === undefined ? '' : String(opts.pid), opts.controlRoot ?? ''], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // an idle baseline first: how fast the agent answers on this machine right now
  await new Promise((r) => setTimeout(r, 500));
  child.stdin.write('mark\n');
  let result: T;
  try {
    result = await (typeof work === 'function' ? work() : work);
  } finally {
    child.stdin.end();
    await exited;
  }
  const { baseline, wall, own, busy, control, maxRss } = JSON.parse(out) as {
    baseline: number[]; wall: number[]; own: number[]; busy: number[]; control: number[]; maxRss: number;
  };
  const worst = [...wall].sort((a, b) => b - a).slice(0, 5).map(round1);
  return {
    report: {
      probes: wall.length, maxMs: worst[0] ?? 0, worstMs: worst, maxBusyMs: Math.max(0, ...busy), baselineMaxMs: round1(Math.max(0, ...baseline)),
      controlMaxMs: round1(Math.max(0, ...control)), maxOwnMs: round1(Math.max(0, ...own)), maxRss,
    },
    result,
  };
}

/** The bound on how long /healthz may wait on the agent, and how long its main thread may be busy within one probe. */
export const LOOP_BUDGET_MS = 100;

/**
 * No /healthz answer waited 100 ms on the agent: each answer's time less the slowest answer an idle control agent on
 * the same machine gave meanwhile (what other processes and the VM cost any process, not the agent's doing) stays under
 * 100 ms, and the main thread never spent 100 ms of CPU within one probe. On a calm machine the control answers in a
 * few ms, so this is the plain wall-clock bound.
 */
export function assertLoopFree(t: ExecutionContext, what: string, r: ProbeReport): void {
  t.log(`${what}: ${r.probes} probes, slowest ${r.worstMs.join(', ')} ms; own share at most ${r.maxOwnMs} ms (idle control up to ${r.controlMaxMs} ms); main thread busy at most ${r.maxBusyMs} ms in one probe`);
  t.true(r.probes > 10, `${what}: only ${r.probes} probes`);
  t.true(r.maxOwnMs < LOOP_BUDGET_MS, `${what}: a /healthz answer waited ${r.maxOwnMs} ms on the agent (slowest ${r.maxMs} ms, control ${r.controlMaxMs} ms)`);
  t.true(r.maxBusyMs < LOOP_BUDGET_MS, `${what}: the event loop was busy ${r.maxBusyMs} ms during one probe`);
}
