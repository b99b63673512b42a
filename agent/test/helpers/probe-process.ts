// The /healthz prober, run as its own process (loop-probe.ts starts it) so that the test's own work — serialising a
// 48 MiB body, receiving a 50 MB export — never delays a probe: what it measures is the agent alone.
// argv: root URL, interval ms, agent pid ('' for none), control root URL ('' for none).
// - Each probe of the agent records when it was sent and answered, and the CPU time the agent's main thread (its event
//   loop) used meanwhile: a long answer with as much CPU is the loop held by work.
// - An idle control agent on the same machine is probed by a loop of its own at the same time: a probe of the agent
//   that overlaps a slow answer of the control was slowed by the machine (other processes, the VM), not by the agent.
// A line "mark" on stdin separates the idle baseline from the probes under load; when stdin closes it prints one JSON
// line and exits.
import { Agent, request } from 'node:http';
import { mainThreadCpuMs, rssBytes } from './loop-probe.js';

interface Probe {
  start: number;
  end: number;
}

const [root, every, pidArg, controlRoot] = process.argv.slice(2);
const pid = pidArg ? Number(pidArg) : undefined;
let marked = false;
let done = false;
process.stdin.on('data', (d: Buffer) => {
  if (d.toString().includes('mark')) marked = true;
});
process.stdin.on('end', () => (done = true));

function healthz(url: URL, agent: Agent): Promise<Probe> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve({ start, end: performance.now() }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Probes `target` until done: idle probes before the mark, probes under load after it. */
async function probeLoop(target: string, onProbe?: (p: Probe, cpuMs: number) => void): Promise<{ baseline: Probe[]; probes: Probe[] }> {
  const url = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const baseline: Probe[] = [];
  const probes: Probe[] = [];
  while (!done) {
    const cpu0 = onProbe && pid !== undefined ? mainThreadCpuMs(pid) : 0;
    const p = await healthz(url, agent);
    if (!marked) baseline.push(p);
    else {
      probes.push(p);
      onProbe?.(p, pid !== undefined ? mainThreadCpuMs(pid) - cpu0 : 0);
    }
    await new Promise((r) => setTimeout(r, Number(every)));
  }
  agent.destroy();
  return { baseline, probes };
}

const busy: number[] = [];
let maxRss = 0;
const [agent, control] = await Promise.all([
  probeLoop(root, (_p, cpuMs) => {
    busy.push(cpuMs);
    if (pid !== undefined) maxRss = Math.max(maxRss, rssBytes(pid));
  }),
  controlRoot ? probeLoop(controlRoot) : Promise.resolve({ baseline: [], probes: [] }),
]);

const ms = (p: Probe) => p.end - p.start;
/** Each agent probe's latency less the slowest control probe overlapping it: the agent's own share of the wait. */
const own = agent.probes.map((a) => {
  let machine = 0;
  for (const c of control.probes) if (c.start < a.end && c.end > a.start) machine = Math.max(machine, ms(c));
  return Math.max(0, ms(a) - machine);
});
process.stdout.write(JSON.stringify({
  baseline: agent.baseline.map(ms), wall: agent.probes.map(ms), own, busy, control: control.probes.map(ms), maxRss,
}) + '\n');
