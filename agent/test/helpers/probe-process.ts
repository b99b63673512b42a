// The /healthz prober, run as its own process (loop-probe.ts starts it) so that the test's own work — serialising a
// 48 MiB body, receiving a 50 MB export — never delays a probe: what it measures is the agent alone.
// argv: root URL, interval ms, agent pid ('' for none). Probes until its stdin closes, then prints one JSON line.
import { Agent, request } from 'node:http';
import { rssBytes } from './loop-probe.js';

const [root, every, pidArg] = process.argv.slice(2);
const url = new URL(root);
const pid = pidArg ? Number(pidArg) : undefined;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const times: number[] = [];
let maxRss = 0;
let done = false;
process.stdin.on('data', () => undefined);
process.stdin.on('end', () => (done = true));

function healthz(): Promise<number> {
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    });
    req.on('error', reject);
    req.end();
  });
}

while (!done) {
  times.push(await healthz());
  if (pid !== undefined) maxRss = Math.max(maxRss, rssBytes(pid));
  await new Promise((r) => setTimeout(r, Number(every)));
}
agent.destroy();
process.stdout.write(JSON.stringify({ times, maxRss }) + '\n');
