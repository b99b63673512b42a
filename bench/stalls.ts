// The stalls benchmark: how long requests that are heavy on large or hostile input hold an agent's event loop. Each
// scenario runs against a memory-only agent process while a prober of its own (agent/test/helpers/probe-process.ts)
// asks /healthz every 10 ms; reported per scenario: the request's own time (median of the rounds), the slowest /healthz
// answer seen meanwhile and the most CPU the agent's main thread spent within one probe (10 ms resolution).
// BENCH_AGENT_ENTRY runs another build of the agent (e.g. the one before a change) for before/after numbers;
// BENCH_ROUNDS (default 3) rounds per scenario; BENCH_SCENARIOS a comma-separated subset.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { probeWhile } from '../agent/test/helpers/loop-probe.js';
import { git, makeTempRepo, removeTempDir } from '../agent/test/helpers/git-cli.js';
import { renameStorm } from '../agent/test/helpers/rename-storm.js';
import { EXPRESS_BUNDLE } from '../agent/test/helpers/corpus.js';
import { AdminClient, Role, WriteConcern, type AssignRequest, type RepoState } from '../proto/gen/govc/v1/admin.js';
import { freePort } from './servers.js';
import { printTable } from './table.js';

const ENTRY = resolve(process.env.BENCH_AGENT_ENTRY ?? 'dist/agent/src/main.js');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ONLY = process.env.BENCH_SCENARIOS?.split(',');
const TOKEN = 'bench-token-0123456789abcdef';

interface Agent {
  url: string;
  api: string;
  pid: number;
  grpc: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

async function startAgent(env: Record<string, string> = {}): Promise<Agent> {
  const port = await freePort();
  const grpc = `127.0.0.1:${await freePort()}`;
  const child = spawn(process.execPath, [ENTRY], {
    env: { ...process.env, GOVC_HTTP_ADDR: `127.0.0.1:${port}`, GOVC_GRPC_ADDR: grpc, GOVC_TOKEN: TOKEN, GOVC_DATA_DIR: '', GOVC_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (const deadline = Date.now() + 20_000; ;) {
    try {
      if ((await fetch(url + '/readyz')).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`agent ${ENTRY} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url, api: url + '/api/v1', pid: child.pid!, grpc, child,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function call(a: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown; bytes: number }> {
  const init: RequestInit = { method, headers: {} };
  if (Buffer.isBuffer(body)) {
    init.body = body;
    (init.headers as Record<string, string>)['content-type'] = 'application/x-git-bundle';
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const r = await fetch(a.api + path, init);
  const raw = Buffer.from(await r.arrayBuffer());
  return { status: r.status, body: raw.length > 0 && r.headers.get('content-type')?.includes('json') ? JSON.parse(raw.toString()) : raw, bytes: raw.length };
}

interface AdminCalls {
  assign(req: Partial<AssignRequest>): Promise<RepoState>;
  state(repo: string): Promise<RepoState>;
  stats(): Promise<unknown>;
  close(): void;
}

function admin(addr: string): AdminCalls {
  const client = new AdminClient(addr, credentials.createInsecure());
  const md = () => {
    const m = new Metadata();
    m.set('authorization', `Bearer ${TOKEN}`);
    return m;
  };
  const unary = <Req, Res>(method: 'assign' | 'getRepoState' | 'getStats', req: Req) => new Promise<Res>((res, rej) => {
    (client[method] as unknown as (r: Req, m: Metadata, cb: (e: Error | null, v: Res) => void) => void).call(client, req, md(), (e, v) => (e ? rej(e) : res(v)));
  });
  return {
    assign: (req) => unary('assign', {
      repo: '', role: Role.ROLE_UNSPECIFIED, epoch: 0, primaryAddr: '', members: [], writeConcern: WriteConcern.WRITE_CONCERN_ASYNC, defaultBranch: '', primaryHttpAddr: '', ...req,
    }),
    state: (repo) => unary('getRepoState', { repo }),
    stats: () => unary('getStats', {}),
    close: () => client.close(),
  };
}

/** A repository whose one directory holds `n` files (fast-import), and `refs` branches and `tags` annotated tags. */
export function wideBundle(n: number, refs: number, tags: number): Buffer {
  const dir = makeTempRepo({ bare: true });
  try {
    const parts: string[] = ['commit refs/heads/main\nmark :1\ncommitter Gen <gen@example.com> 1700000000 +0000\ndata 4\nwide\n'];
    for (let i = 0; i < n; i++) parts.push(`M 100644 inline wide/file-${i}.txt\ndata ${String(i).length + 1}\n${i}\n\n`);
    for (let i = 0; i < refs; i++) parts.push(`reset refs/heads/b/${i}\nfrom :1\n\n`);
    for (let i = 0; i < tags; i++) parts.push(`tag t${i}\nfrom :1\ntagger Gen <gen@example.com> 1700000000 +0000\ndata ${`t${i}`.length}\nt${i}\n`);
    parts.push('done\n');
    git(['fast-import', '--quiet', '--done'], { cwd: dir, input: parts.join('') });
    const file = join(dir, 'wide.bundle');
    git(['bundle', 'create', '-q', file, '--all'], { cwd: dir });
    return readFileSync(file);
  } finally {
    removeTempDir(dir);
  }
}

interface Scenario {
  name: string;
  /** Runs once before the rounds. */
  setup?: () => Promise<void>;
  /** One round: the request(s) measured. */
  run: () => Promise<unknown>;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const AUTHOR = { name: 'Bench', email: 'bench@example.com', date: '2024-05-01T12:00:00+02:00' };

export async function stallsBench(): Promise<void> {
  const express = readFileSync(EXPRESS_BUNDLE);
  const wanted = (name: string) => !ONLY || ONLY.some((o) => name.startsWith(o));
  // Generated before the agent starts: a minute of this process blocked on git would let the server drop its kept-alive
  // connection unnoticed (EPIPE on the next request).
  const storm = wanted('merge with renames') ? renameStorm(1000) : undefined;
  const wide = ['tree', 'branches', 'tags', 'Admin GetRepoState'].some(wanted) ? wideBundle(100_000, 100_000, 10_000) : undefined;
  const a = await startAgent();
  const rows: (string | number)[][] = [];
  const results: Record<string, { requestMs: number; healthzMaxMs: number; loopBusyMs: number; replicaHealthzMaxMs?: number; replicaLoopBusyMs?: number }> = {};
  const expect = (what: string, status: number, want: number[]) => {
    if (!want.includes(status)) throw new Error(`${what}: status ${status}`);
  };
  let wideImported = false;
  const ensureWide = async () => {
    if (wideImported) return;
    await call(a, 'POST', '/repos', { name: 'wide' });
    expect('wide import', (await call(a, 'POST', '/repos/wide/bundle', wide!)).status, [200]);
    wideImported = true;
  };
  let mergeNo = 0;
  let commitNo = 0;
  const ad = admin(a.grpc);
  const scenarios: Scenario[] = [
    { name: 'compare 0.0.1...master', run: async () => expect('compare', (await call(a, 'GET', '/repos/ex/compare/0.0.1...master')).status, [200]) },
    { name: 'compare 4.x...5.x', run: async () => expect('compare', (await call(a, 'GET', '/repos/ex/compare/4.x...5.x')).status, [200]) },
    { name: 'log path lib/router/index.js', run: async () => expect('log', (await call(a, 'GET', '/repos/ex/commits?ref=master&path=lib/router/index.js')).status, [200]) },
    { name: 'log path never touched (whole history)', run: async () => expect('log', (await call(a, 'GET', '/repos/ex/commits?ref=master&path=no/such/file')).status, [200]) },
    {
      name: 'log limit=1000 from commit 5000',
      run: async () => {
        const cursor = Buffer.from(JSON.stringify({ start: 'a3714473feb3d2908add734d340e7755fd85e0a3', skip: 5000 })).toString('base64url');
        expect('log', (await call(a, 'GET', `/repos/ex/commits?limit=1000&cursor=${cursor}`)).status, [200]);
      },
    },
    { name: 'merge 5.x into 4.x (conflicts)', run: async () => expect('merge', (await call(a, 'POST', '/repos/ex/merges', { base: '4.x', head: '5.x', author: AUTHOR })).status, [409]) },
    {
      name: 'merge with renames of 2x1000 similar files',
      setup: async () => {
        await call(a, 'POST', '/repos', { name: 'storm' });
        expect('storm import', (await call(a, 'POST', '/repos/storm/bundle', storm!.bundle)).status, [200]);
      },
      run: async () => {
        const branch = `m${mergeNo++}`;
        await call(a, 'POST', '/repos/storm/branches', { name: branch, from: 'ours' });
        expect('storm merge', (await call(a, 'POST', '/repos/storm/merges', { base: branch, head: 'theirs', author: AUTHOR })).status, [201]);
      },
    },
    {
      name: 'tree of 100,000 entries',
      setup: () => ensureWide(),
      run: async () => expect('tree', (await call(a, 'GET', '/repos/wide/tree/wide')).status, [200]),
    },
    { name: 'branches: 100,000', setup: () => ensureWide(), run: async () => expect('branches', (await call(a, 'GET', '/repos/wide/branches')).status, [200]) },
    { name: 'tags: 10,000 annotated', setup: () => ensureWide(), run: async () => expect('tags', (await call(a, 'GET', '/repos/wide/tags')).status, [200]) },
    {
      name: 'GET /repos?limit=1000 of 20,000',
      setup: async () => {
        for (let i = 0; i < 20_000; i += 100) await Promise.all(Array.from({ length: 100 }, (_, k) => call(a, 'POST', '/repos', { name: `many-${i + k}` })));
      },
      run: async () => expect('repos', (await call(a, 'GET', '/repos?limit=1000&cursor=' + Buffer.from('many-5').toString('base64url'))).status, [200]),
    },
    { name: 'Admin GetStats with 20,000 repositories', run: () => ad.stats() },
    { name: 'GET /metrics with 20,000 repositories', run: async () => expect('metrics', (await fetch(a.url + '/metrics')).status, [200]) },
    // Its reply lists every ref: over gRPC's default 4 MiB limit for the client at 100,000 refs (RESOURCE_EXHAUSTED).
    { name: 'Admin GetRepoState of 100,000 refs', setup: () => ensureWide(), run: () => ad.state('wide').catch((e: Error) => e.message) },
    { name: 'GET commits/master~3800', run: async () => expect('revision', (await call(a, 'GET', '/repos/ex/commits/master~3800')).status, [200]) },
    {
      name: 'commit of 20,000 files',
      run: async () => {
        const files = Array.from({ length: 20_000 }, (_, i) => ({ path: `c${commitNo}/d${i % 100}/f${i}.txt`, content: `${commitNo} ${i}\n` }));
        expect('commit', (await call(a, 'POST', '/repos/ex/commits', { branch: `wide-commit-${commitNo++}`, message: 'many files', author: AUTHOR, files })).status, [201]);
      },
    },
  ];
  try {
    await call(a, 'POST', '/repos', { name: 'ex' });
    expect('express import', (await call(a, 'POST', '/repos/ex/bundle', express)).status, [200]);
    for (const s of scenarios) {
      if (!wanted(s.name)) continue;
      await s.setup?.();
      const req: number[] = [];
      let healthz = 0;
      let busy = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const { report, result } = await probeWhile(a.url, async () => {
          const t0 = performance.now();
          await s.run();
          return performance.now() - t0;
        }, { pid: a.pid });
        req.push(result);
        healthz = Math.max(healthz, report.maxMs);
        busy = Math.max(busy, report.maxBusyMs);
      }
      results[s.name] = { requestMs: Math.round(median(req)), healthzMaxMs: Math.round(healthz), loopBusyMs: busy };
      rows.push([s.name, Math.round(median(req)), Math.round(healthz), busy]);
    }
  } finally {
    ad.close();
    await a.stop();
  }
  for (const viaSnapshot of [false, true]) {
    const name = viaSnapshot ? 'replication: a snapshot of express' : 'replication: the express import as a change';
    if (!wanted(name)) continue;
    const snap = await snapshotScenario(express, viaSnapshot);
    results[name] = snap;
    rows.push([`${name} (primary)`, snap.requestMs, snap.healthzMaxMs, snap.loopBusyMs]);
    rows.push([`${name} (replica)`, snap.requestMs, snap.replicaHealthzMaxMs, snap.replicaLoopBusyMs]);
  }
  printTable(['scenario', 'request ms', 'slowest /healthz ms', 'loop busy in one probe ms'], rows);
  process.stdout.write(JSON.stringify({ bench: 'stalls', entry: ENTRY, rounds: ROUNDS, results }) + '\n');
}

/**
 * A primary holding express gets a new replica: the time to converge, and the primary's /healthz meanwhile (and the
 * replica's). The replica joins while the change window still holds the import: it gets that change (for the build
 * before this one, encoded on the primary's loop; now streamed from a worker, as snapshots are).
 */
async function snapshotScenario(express: Buffer, viaSnapshot: boolean): Promise<{ requestMs: number; healthzMaxMs: number; loopBusyMs: number; replicaHealthzMaxMs: number; replicaLoopBusyMs: number }> {
  const req: number[] = [];
  let healthz = 0;
  let busy = 0;
  let replicaHealthz = 0;
  let replicaBusy = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const dirs = [mkdtempSync(join('/dev/shm', 'govc-bench-p-')), mkdtempSync(join('/dev/shm', 'govc-bench-r-'))];
    const [p, q] = await Promise.all(dirs.map((d) => startAgent({ GOVC_DATA_DIR: d, GOVC_ANTI_ENTROPY_MS: '600000' })));
    // The replica installs on its own loop (a second or more for express); in production it runs on another machine,
    // here it shares the cores, so it runs at a lower priority: the primary's numbers are the primary's.
    setPriority(q.pid, 10);
    const [ap, aq] = [admin(p.grpc), admin(q.grpc)];
    try {
      const members = [p.grpc, q.grpc];
      await ap.assign({ repo: 'ex', epoch: 1, role: Role.ROLE_PRIMARY, primaryAddr: p.grpc, members });
      const imported = await call(p, 'POST', '/repos/ex/bundle', express);
      if (imported.status !== 200) throw new Error(`import on the primary: ${imported.status}`);
      // one more change pushes the import out of the change window (64 MiB): the replica then needs a snapshot
      if (viaSnapshot) await call(p, 'POST', '/repos/ex/commits', { branch: 'master', message: 'one more', author: AUTHOR, files: [{ path: 'x', content: 'x' }] });
      const want = await ap.state('ex');
      // the primary probed, and the replica too (its install is its own event loop's work)
      const { report, result: inner } = await probeWhile(p.url, () => probeWhile(q.url, async () => {
        const t0 = performance.now();
        await aq.assign({ repo: 'ex', epoch: 1, role: Role.ROLE_REPLICA, primaryAddr: p.grpc, members });
        for (;;) {
          const s = await aq.state('ex').catch(() => undefined);
          if (s && s.appliedSeq === want.appliedSeq && s.checksum === want.checksum) break;
          await new Promise((res) => setTimeout(res, 20));
        }
        return performance.now() - t0;
      }, { pid: q.pid }), { pid: p.pid });
      req.push(inner.result);
      healthz = Math.max(healthz, report.maxMs);
      busy = Math.max(busy, report.maxBusyMs);
      replicaHealthz = Math.max(replicaHealthz, inner.report.maxMs);
      replicaBusy = Math.max(replicaBusy, inner.report.maxBusyMs);
    } finally {
      ap.close();
      aq.close();
      await Promise.all([p.stop(), q.stop()]);
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    }
  }
  return { requestMs: Math.round(median(req)), healthzMaxMs: Math.round(healthz), loopBusyMs: busy, replicaHealthzMaxMs: Math.round(replicaHealthz), replicaLoopBusyMs: replicaBusy };
}
