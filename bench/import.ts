// The import benchmark: express.bundle (6413 commits, 33522 objects, 157 MiB inflated) imported into fresh repositories of
// two running agents — memory only, and with the journal on tmpfs — against `git clone --bare` of the same bundle on
// tmpfs (the same work for git: inflate, resolve deltas, hash, check connectivity, write), measured in alternation, round
// after round, the ratios taken per round and the medians reported. Also the slowest /healthz answer seen while each
// agent's imports ran: the event loop's share of an import (with the journal: its append, written and checksummed off the loop).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { probeWhile } from '../agent/test/helpers/loop-probe.js';
import { cpuSeconds, startAgentProcess } from './servers.js';
import { printTable } from './table.js';
import { EXPRESS_BUNDLE } from '../agent/test/helpers/corpus.js';

const BUNDLE = process.env.BENCH_BUNDLE ?? EXPRESS_BUNDLE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_ROUND = Number(process.env.BENCH_IMPORTS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Round {
  perSecond: number;
  cpuMs: number;
  stallMs: number;
}

let repoNo = 0;

/** `count` imports, one after another, into fresh repositories of the agent at `url` (dropped afterwards). */
async function importRound(url: string, pid: number, bundle: Buffer, count: number): Promise<Round & { objects: number }> {
  const api = url + '/api/v1';
  const cpu0 = cpuSeconds(pid);
  let objects = 0;
  let seconds = 0;
  const names: string[] = [];
  // The prober is a process of its own, so this process's work (sending the bodies) cannot delay it.
  const { report } = await probeWhile(url, async () => {
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const name = `r${repoNo++}`;
      names.push(name);
      await fetch(api + '/repos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
      const r = await fetch(`${api}/repos/${name}/bundle`, { method: 'POST', headers: { 'content-type': 'application/x-git-bundle' }, body: bundle });
      const body = (await r.json()) as { objects: number };
      if (r.status !== 200) throw new Error(`import failed: ${r.status} ${JSON.stringify(body)}`);
      objects = body.objects;
    }
    seconds = (performance.now() - t0) / 1000;
  }, { pid });
  const stallMs = report.maxMs;
  const cpuMs = ((cpuSeconds(pid) - cpu0) / count) * 1000;
  for (const name of names) await fetch(`${api}/repos/${name}`, { method: 'DELETE' });
  return { perSecond: count / seconds, cpuMs, stallMs, objects };
}

function gitRound(gitDir: string, count: number, round: number): number {
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const dest = join(gitDir, `c${round}-${i}.git`);
    const res = spawnSync('git', ['clone', '-q', '--bare', BUNDLE, dest], { env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' } });
    if (res.status !== 0) throw new Error(`git clone: ${res.stderr}`);
    rmSync(dest, { recursive: true, force: true });
  }
  return count / ((performance.now() - t0) / 1000);
}

export async function importBench(): Promise<void> {
  const bundle = readFileSync(BUNDLE);
  const dataDir = mkdtempSync(join('/dev/shm', 'govc-bench-import-'));
  const gitDir = mkdtempSync(join('/dev/shm', 'govc-bench-clone-'));
  const memory = await startAgentProcess({ GOVC_DATA_DIR: '', GOVC_LOG_LEVEL: 'warn' });
  const journaled = await startAgentProcess({ GOVC_DATA_DIR: dataDir, GOVC_LOG_LEVEL: 'warn' });
  const rows: (string | number)[][] = [];
  const mem: Round[] = [];
  const jour: Round[] = [];
  const git: number[] = [];
  let objects = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const m = await importRound(memory.url, memory.pid, bundle, PER_ROUND);
      const j = await importRound(journaled.url, journaled.pid, bundle, PER_ROUND);
      const g = gitRound(gitDir, PER_ROUND, round);
      objects = m.objects;
      mem.push(m);
      jour.push(j);
      git.push(g);
      rows.push([round, 'memory only', m.perSecond.toFixed(2), (m.perSecond / g).toFixed(3), Math.round(m.cpuMs), m.stallMs.toFixed(1)]);
      rows.push([round, 'journal on tmpfs', j.perSecond.toFixed(2), (j.perSecond / g).toFixed(3), Math.round(j.cpuMs), j.stallMs.toFixed(1)]);
      rows.push([round, 'git clone --bare', g.toFixed(2), '1', '', '']);
    }
    printTable(['round', 'what', 'imports/s', 'ratio to git', 'agent CPU ms/import', 'slowest /healthz ms'], rows);
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    console.log(JSON.stringify({
      bench: 'import',
      bundle: BUNDLE.split('/').pop(),
      objects,
      import_per_s: r3(median(mem.map((m) => m.perSecond))),
      import_journal_per_s: r3(median(jour.map((j) => j.perSecond))),
      git_clone_per_s: r3(median(git)),
      import_ratio_git: r3(median(mem.map((m, i) => m.perSecond / git[i]))),
      import_journal_ratio_git: r3(median(jour.map((j, i) => j.perSecond / git[i]))),
      healthz_max_ms: Math.round(Math.max(...mem.map((m) => m.stallMs))),
      healthz_max_ms_journal: Math.round(Math.max(...jour.map((j) => j.stallMs))),
      cpu_ms_per_import: Math.round(median(mem.map((m) => m.cpuMs))),
    }));
  } finally {
    await memory.stop();
    await journaled.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(gitDir, { recursive: true, force: true });
  }
}
