// The agent benchmark: a bare Node HTTP server (the ceiling), fastify serving a fixed 1 KiB body and taking the commit
// JSON body to answer a fixed reply (the framework's floors),
// the agent's single-file commits/s and 1 KiB file reads/s at a few concurrencies with p50/p99, the git CLI making the same
// commits on tmpfs, and the memory held per raw byte stored. The agent measured against the floors keeps its data on
// tmpfs (/dev/shm), where an fsync costs nothing; the price of durability is measured apart, with two more agents whose
// data is on the real disk (BENCH_DISK_DIR, default the OS temp folder): GOVC_FSYNC=batch (acknowledged once on disk,
// group commit) and GOVC_FSYNC=off, in the same alternating rounds (commit_ratio_fsync = batch / off).
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSeconds, startAgentProcess, startCeiling, startFastifyFloor } from './servers.js';
import { printTable } from './table.js';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
const CONCURRENCY = [1, 16, 64];
const FILES = 100;
const FILE_BYTES = 1024;

interface Run {
  what: string;
  connections: number;
  perSecond: number;
  /** Server CPU per request, microseconds. */
  cpuUs: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(what: string, pid: number, opts: autocannon.Options): Promise<Run> {
  const cpu0 = cpuSeconds(pid);
  const r = await autocannon({ duration: DURATION_S, ...opts });
  const cpu = cpuSeconds(pid) - cpu0;
  return {
    what,
    connections: opts.connections ?? 10,
    perSecond: r.requests.average,
    cpuUs: Math.round((cpu / Math.max(1, r.requests.total)) * 1e6),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors + r.timeouts,
  };
}

function content(i: number): string {
  // 1 KiB of text that differs per commit, so every commit stores a new blob.
  const line = `commit ${i} `.padEnd(63, '.') + '\n';
  return line.repeat(FILE_BYTES / 64);
}

function commitBody(i: number): string {
  return JSON.stringify({
    branch: 'main',
    message: `bench commit ${i}`,
    author: { name: 'Bench', email: 'bench@example.com' },
    files: [{ path: `src/f${i % FILES}.txt`, content: content(i) }],
  });
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url + '/metrics')).text();
  const m = new RegExp(`^${name} ([0-9.e+]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

function gitCommitsPerSecond(n: number): number {
  const dir = mkdtempSync(join('/dev/shm', 'govc-bench-git-'));
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'b@x', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'b@x' };
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: dir, env });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  try {
    git('init', '-q', '-b', 'main');
    spawnSync('mkdir', ['-p', join(dir, 'src')]);
    for (let i = 0; i < FILES; i++) writeFileSync(join(dir, `src/f${i}.txt`), content(-(i + 1)));
    git('add', '-A');
    git('commit', '-q', '-m', 'seed');
    const start = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      // The same work a client does for one API commit: write the file, stage it, commit.
      writeFileSync(join(dir, `src/f${i % FILES}.txt`), content(i));
      git('add', `src/f${i % FILES}.txt`);
      git('commit', '-q', '-m', `bench commit ${i}`);
    }
    return n / (Number(process.hrtime.bigint() - start) / 1e9);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function agentBench(): Promise<void> {
  // Ceiling and agent run side by side and are measured in alternation, round after round, so a busy machine slows both
  // alike; the ratios are taken per round and the median round is reported.
  const ceiling = await startCeiling();
  const floor = await startFastifyFloor();
  const logLevel = process.env.GOVC_LOG_LEVEL ?? 'info';
  const dataDir = mkdtempSync(join('/dev/shm', 'govc-bench-data-'));
  const agent = await startAgentProcess({ GOVC_DATA_DIR: dataDir, GOVC_LOG_LEVEL: logLevel });
  const api = agent.url + '/api/v1';
  const diskRoot = process.env.BENCH_DISK_DIR ?? tmpdir();
  const syncedDir = mkdtempSync(join(diskRoot, 'govc-bench-fsync-'));
  const unsyncedDir = mkdtempSync(join(diskRoot, 'govc-bench-nofsync-'));
  const synced = await startAgentProcess({ GOVC_DATA_DIR: syncedDir, GOVC_FSYNC: 'batch', GOVC_LOG_LEVEL: logLevel });
  const unsynced = await startAgentProcess({ GOVC_DATA_DIR: unsyncedDir, GOVC_FSYNC: 'off', GOVC_LOG_LEVEL: logLevel });
  const runs: (Run & { round: number })[] = [];
  try {
    const seed = JSON.stringify({
      branch: 'main', message: 'seed', author: { name: 'Bench', email: 'bench@example.com' },
      files: Array.from({ length: FILES }, (_, i) => ({ path: `src/f${i}.txt`, content: content(-(i + 1)) })),
    });
    for (const base of [api, synced.url + '/api/v1', unsynced.url + '/api/v1']) {
      await fetch(base + '/repos', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'bench' }) });
      await fetch(base + '/repos/bench/commits', { method: 'POST', headers: { 'content-type': 'application/json' }, body: seed });
    }
    const objectBytes0 = await metric(agent.url, 'govc_object_bytes');
    const memory0 = await metric(agent.url, 'govc_memory_bytes');
    const rss0 = await metric(agent.url, 'process_resident_memory_bytes');

    let i = 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const connections of CONCURRENCY) {
        runs.push({ round, ...(await load('ceiling GET', ceiling.pid, { url: ceiling.url, connections })) });
        runs.push({ round, ...(await load('fastify 1KiB GET', floor.pid, { url: floor.url + '/file', connections })) });
        runs.push({ round, ...(await load('agent read', agent.pid, { url: api + '/repos/bench/files/src/f7.txt?ref=main', connections })) });
        runs.push({ round, ...(await load('fastify JSON POST', floor.pid, {
          url: floor.url + '/commit',
          connections,
          requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: commitBody(i) }) }],
        })) });
        runs.push({ round, ...(await load('agent commit', agent.pid, {
          url: api + '/repos/bench/commits',
          connections,
          requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: commitBody(i++) }) }],
        })) });
        for (const [what, server] of [['agent commit disk fsync=batch', synced], ['agent commit disk fsync=off', unsynced]] as const) {
          runs.push({ round, ...(await load(what, server.pid, {
            url: server.url + '/api/v1/repos/bench/commits',
            connections,
            requests: [{ method: 'POST', headers: { 'content-type': 'application/json' }, setupRequest: (req) => ({ ...req, body: commitBody(i++) }) }],
          })) });
        }
      }
    }
    const objectBytes = (await metric(agent.url, 'govc_object_bytes')) - objectBytes0;
    const memory = (await metric(agent.url, 'govc_memory_bytes')) - memory0;
    const rss = (await metric(agent.url, 'process_resident_memory_bytes')) - rss0;
    const gitPerSecond = gitCommitsPerSecond(Number(process.env.BENCH_GIT_COMMITS ?? 300));

    const best = (what: string, round: number) => runs.filter((r) => r.what === what && r.round === round).reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const perRound = (f: (round: number) => number) => median(Array.from({ length: ROUNDS }, (_, r) => f(r)));
    const ceilingBest = perRound((r) => best('ceiling GET', r).perSecond);
    const commitBest = perRound((r) => best('agent commit', r).perSecond);
    const readBest = perRound((r) => best('agent read', r).perSecond);
    const cpuOf = (what: string) => median(runs.filter((r) => r.what === what).map((r) => r.cpuUs));
    const SYNCED = 'agent commit disk fsync=batch';
    const UNSYNCED = 'agent commit disk fsync=off';
    const at = (what: string, round: number, connections: number) => runs.find((r) => r.what === what && r.round === round && r.connections === connections)!.perSecond;
    const fsyncByConns = Object.fromEntries(CONCURRENCY.map((c) => [String(c), Math.round(perRound((r) => at(SYNCED, r, c) / at(UNSYNCED, r, c)) * 1000) / 1000]));
    const fsyncs = await metric(synced.url, 'govc_journal_fsyncs_total');
    const fsyncBatch = (await metric(synced.url, 'govc_journal_fsync_batch_size_sum')) / fsyncs;
    printTable(
      ['round', 'what', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'errors'],
      [
        ...runs.map((r) => [r.round, r.what, r.connections, Math.round(r.perSecond), r.p50, r.p99, r.cpuUs, r.errors]),
        ['', 'git CLI commit (tmpfs)', 1, Math.round(gitPerSecond), '', '', '', 0],
      ],
    );
    process.stdout.write(`commits stored: ${i}; raw object bytes ${objectBytes}; memory accounted ${memory}; RSS growth ${rss}\n`);
    process.stdout.write(`on disk (${diskRoot}), fsync=batch: ${fsyncs} fdatasyncs, ${fsyncBatch.toFixed(1)} commits each on average\n`);
    const round = (x: number) => Math.round(x * 1000) / 1000;
    console.log(JSON.stringify({
      bench: 'agent',
      commit_per_s: Math.round(commitBest),
      read_per_s: Math.round(readBest),
      ceiling_per_s: Math.round(ceilingBest),
      git_commit_per_s: Math.round(gitPerSecond),
      commit_ratio_ceiling: round(perRound((r) => best('agent commit', r).perSecond / best('ceiling GET', r).perSecond)),
      read_ratio_ceiling: round(perRound((r) => best('agent read', r).perSecond / best('ceiling GET', r).perSecond)),
      fastify_floor_ratio_ceiling: round(perRound((r) => best('fastify 1KiB GET', r).perSecond / best('ceiling GET', r).perSecond)),
      read_ratio_fastify_floor: round(perRound((r) => best('agent read', r).perSecond / best('fastify 1KiB GET', r).perSecond)),
      fastify_post_floor_ratio_ceiling: round(perRound((r) => best('fastify JSON POST', r).perSecond / best('ceiling GET', r).perSecond)),
      commit_ratio_fastify_post_floor: round(perRound((r) => best('agent commit', r).perSecond / best('fastify JSON POST', r).perSecond)),
      commit_ratio_git: round(commitBest / gitPerSecond),
      commit_disk_fsync_per_s: Math.round(perRound((r) => best(SYNCED, r).perSecond)),
      commit_disk_nofsync_per_s: Math.round(perRound((r) => best(UNSYNCED, r).perSecond)),
      commit_ratio_fsync: round(perRound((r) => best(SYNCED, r).perSecond / best(UNSYNCED, r).perSecond)),
      commit_ratio_fsync_by_conns: fsyncByConns,
      fsync_batch_avg: round(fsyncBatch),
      memory_ratio: round(memory / objectBytes),
      rss_ratio: round(rss / objectBytes),
      ceiling_cpu_us: cpuOf('ceiling GET'),
      fastify_floor_cpu_us: cpuOf('fastify 1KiB GET'),
      fastify_post_floor_cpu_us: cpuOf('fastify JSON POST'),
      read_cpu_us: cpuOf('agent read'),
      commit_cpu_us: cpuOf('agent commit'),
      errors: runs.reduce((n, r) => n + r.errors, 0),
    }));
  } finally {
    await agent.stop();
    await synced.stop();
    await unsynced.stop();
    await ceiling.stop();
    await floor.stop();
    for (const dir of [dataDir, syncedDir, unsyncedDir]) rmSync(dir, { recursive: true, force: true });
  }
}
