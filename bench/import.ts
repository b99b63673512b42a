// The import benchmark: express.bundle (6413 commits, 33522 objects, 157 MiB inflated) imported into fresh repositories of
// a running agent (journal on tmpfs), against `git clone --bare` of the same bundle on tmpfs — the same work for git
// (inflate, resolve deltas, hash, check connectivity, write) — measured in alternation, round after round, the ratio
// taken per round and the median reported. Also the slowest /healthz answer seen while the imports ran: the event
// loop's share of an import.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { cpuSeconds, startAgentProcess } from './servers.js';
import { printTable } from './table.js';

const BUNDLE = process.env.BENCH_BUNDLE ?? '/work/shared/corpus/express.bundle';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_ROUND = Number(process.env.BENCH_IMPORTS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Probes /healthz every 10 ms until stopped; returns the slowest answer. */
function probe(root: string): { stop(): Promise<number> } {
  const url = new URL(root);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let max = 0;
  let done = false;
  const once = () => new Promise<void>((resolve, reject) => {
    const start = performance.now();
    const req = request({ host: url.hostname, port: url.port, path: '/healthz', agent }, (res) => {
      res.resume();
      res.on('end', () => {
        max = Math.max(max, performance.now() - start);
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
  const loop = (async () => {
    while (!done) {
      await once();
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  return {
    async stop() {
      done = true;
      await loop;
      agent.destroy();
      return max;
    },
  };
}

export async function importBench(): Promise<void> {
  const bundle = readFileSync(BUNDLE);
  const dataDir = mkdtempSync(join('/dev/shm', 'govc-bench-import-'));
  const gitDir = mkdtempSync(join('/dev/shm', 'govc-bench-clone-'));
  const agent = await startAgentProcess({ GOVC_DATA_DIR: dataDir, GOVC_LOG_LEVEL: 'warn' });
  const api = agent.url + '/api/v1';
  const rows: (string | number)[][] = [];
  const ratios: number[] = [];
  const agentRates: number[] = [];
  const gitRates: number[] = [];
  const stalls: number[] = [];
  let objects = 0;
  let n = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const cpu0 = cpuSeconds(agent.pid);
      const prober = probe(agent.url);
      const t0 = performance.now();
      for (let i = 0; i < PER_ROUND; i++) {
        const name = `r${n++}`;
        await fetch(api + '/repos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
        const r = await fetch(`${api}/repos/${name}/bundle`, { method: 'POST', headers: { 'content-type': 'application/x-git-bundle' }, body: bundle });
        const body = (await r.json()) as { objects: number };
        if (r.status !== 200) throw new Error(`import failed: ${r.status} ${JSON.stringify(body)}`);
        objects = body.objects;
      }
      const agentSeconds = (performance.now() - t0) / 1000;
      const stall = await prober.stop();
      const cpu = cpuSeconds(agent.pid) - cpu0;
      // Drop the repositories so memory stays flat across rounds.
      for (let i = n - PER_ROUND; i < n; i++) await fetch(`${api}/repos/r${i}`, { method: 'DELETE' });

      const g0 = performance.now();
      for (let i = 0; i < PER_ROUND; i++) {
        const dest = join(gitDir, `c${round}-${i}.git`);
        const res = spawnSync('git', ['clone', '-q', '--bare', BUNDLE, dest], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
        if (res.status !== 0) throw new Error(`git clone: ${res.stderr}`);
        rmSync(dest, { recursive: true, force: true });
      }
      const gitSeconds = (performance.now() - g0) / 1000;
      const agentRate = PER_ROUND / agentSeconds;
      const gitRate = PER_ROUND / gitSeconds;
      agentRates.push(agentRate);
      gitRates.push(gitRate);
      ratios.push(agentRate / gitRate);
      stalls.push(stall);
      rows.push([round, PER_ROUND, agentRate.toFixed(2), gitRate.toFixed(2), (agentRate / gitRate).toFixed(3), Math.round((cpu / PER_ROUND) * 1000), stall.toFixed(1)]);
    }
    printTable(['round', 'imports', 'agent imports/s', 'git clone --bare/s', 'ratio', 'agent CPU ms/import', 'slowest /healthz ms'], rows);
    const round3 = (x: number) => Math.round(x * 1000) / 1000;
    console.log(JSON.stringify({
      bench: 'import',
      bundle: BUNDLE.split('/').pop(),
      objects,
      import_per_s: round3(median(agentRates)),
      git_clone_per_s: round3(median(gitRates)),
      import_ratio_git: round3(median(ratios)),
      healthz_max_ms: Math.round(Math.max(...stalls)),
    }));
  } finally {
    await agent.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(gitDir, { recursive: true, force: true });
  }
}
