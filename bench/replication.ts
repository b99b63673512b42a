// The replication benchmark: commit throughput and p50/p99 latency with one standalone agent, three agents with async
// and with quorum write concern, and replication lag (write acknowledged → visible on a replica, as a client sees it).
import { Metadata, credentials } from '@grpc/grpc-js';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient, Role, WriteConcern } from '../proto/gen/govc/v1/admin.js';
import { Server, freePort, startAgentProcess } from './servers.js';
import { printTable } from './table.js';

const DURATION_MS = Number(process.env.BENCH_DURATION ?? 4) * 1000;
const TOKEN = 'bench-token-0123456789abcdef';
const CONCURRENCY = 16;
const http = new Agent({ keepAlive: true, maxSockets: 64 });

interface Node { server: Server; grpc: string; port: number; dir: string }

async function startNode(): Promise<Node> {
  const grpc = `127.0.0.1:${await freePort()}`;
  const dir = mkdtempSync(join(tmpdir(), 'govc-bench-repl-'));
  const server = await startAgentProcess({ GOVC_DATA_DIR: dir, GOVC_GRPC_ADDR: grpc, GOVC_TOKEN: TOKEN, GOVC_LOG_LEVEL: 'warn', GOVC_READ_WAIT_MS: '2000' });
  return { server, grpc, port: Number(new URL(server.url).port), dir };
}

function assign(node: Node, repo: string, role: Role, primary: Node, members: Node[], concern: WriteConcern): Promise<void> {
  const client = new AdminClient(node.grpc, credentials.createInsecure());
  const md = new Metadata();
  md.set('authorization', `Bearer ${TOKEN}`);
  return new Promise((res, rej) => client.assign({
    repo, role, epoch: 1, primaryAddr: primary.grpc, members: members.map((m) => m.grpc), writeConcern: concern, defaultBranch: '', primaryHttpAddr: '',
  }, md, (e) => {
    client.close();
    return e ? rej(e) : res();
  }));
}

function call(port: number, method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((res, rej) => {
    const req = request({ host: '127.0.0.1', port, method, path, agent: http, headers: body ? { 'content-type': 'application/json', ...headers } : headers }, (r) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', rej);
    req.end(body);
  });
}

let counter = 0;
function commitBody(): string {
  const i = counter++;
  return JSON.stringify({ branch: 'main', message: `bench ${i}`, author: { name: 'Bench', email: 'bench@example.com' }, files: [{ path: `f${i % 100}.txt`, content: `commit ${i}\n`.repeat(16) }] });
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

/** One writer for latency, then CONCURRENCY writers for throughput. Optionally measures lag on `replica`. */
async function measure(primary: Node, repo: string, replica?: Node): Promise<{ p50: number; p99: number; perSecond: number; errors: number; lag: number[] }> {
  const lat: number[] = [];
  const lag: number[] = [];
  let errors = 0;
  for (let end = Date.now() + 300; Date.now() < end; ) await call(primary.port, 'POST', `/api/v1/repos/${repo}/commits`, commitBody()); // warm-up
  for (let end = Date.now() + DURATION_MS; Date.now() < end; ) {
    const t0 = performance.now();
    const r = await call(primary.port, 'POST', `/api/v1/repos/${repo}/commits`, commitBody());
    const t1 = performance.now();
    if (r.status !== 201) errors++;
    lat.push(t1 - t0);
    if (replica && lat.length % 4 === 0) {
      // Visible on the replica: it answers a read carrying the write's seq itself once it has applied it.
      const seq = String(r.headers['x-govc-seq']);
      const v = await call(replica.port, 'GET', `/api/v1/repos/${repo}/branches/main`, undefined, { 'x-govc-seq': seq });
      if (v.headers['x-govc-served-by'] === replica.grpc) lag.push(performance.now() - t1);
    }
  }
  let done = 0;
  const end = Date.now() + DURATION_MS;
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < end) {
      const r = await call(primary.port, 'POST', `/api/v1/repos/${repo}/commits`, commitBody());
      if (r.status === 201) done++;
      else errors++;
    }
  }));
  return { p50: pct(lat, 50), p99: pct(lat, 99), perSecond: done / (DURATION_MS / 1000), errors, lag };
}

export async function replicationBench(): Promise<void> {
  const nodes = await Promise.all([startNode(), startNode(), startNode()]);
  try {
    const [p, r1] = nodes;
    // One agent: the standalone path (repo created over REST, no assignment).
    await call(p.port, 'POST', '/api/v1/repos', JSON.stringify({ name: 'solo' }));
    const solo = await measure(p, 'solo');
    for (const [repo, concern] of [['async', WriteConcern.WRITE_CONCERN_ASYNC], ['quorum', WriteConcern.WRITE_CONCERN_QUORUM]] as const) {
      for (const n of nodes) await assign(n, repo, n === p ? Role.ROLE_PRIMARY : Role.ROLE_REPLICA, p, nodes, concern);
    }
    await new Promise((r) => setTimeout(r, 500)); // replicas connect
    const async_ = await measure(p, 'async', r1);
    const quorum = await measure(p, 'quorum');
    const round = (x: number) => Math.round(x * 1000) / 1000;
    printTable(['setup', 'p50 ms', 'p99 ms', `commits/s (c=${CONCURRENCY})`, 'errors'], [
      ['1 agent', round(solo.p50), round(solo.p99), Math.round(solo.perSecond), solo.errors],
      ['3 agents async', round(async_.p50), round(async_.p99), Math.round(async_.perSecond), async_.errors],
      ['3 agents quorum', round(quorum.p50), round(quorum.p99), Math.round(quorum.perSecond), quorum.errors],
    ]);
    process.stdout.write(`${JSON.stringify({
      bench: 'replication',
      solo_p50_ms: round(solo.p50), async_p50_ms: round(async_.p50), quorum_p50_ms: round(quorum.p50),
      quorum_overhead_p50_ms: round(quorum.p50 - async_.p50), lag_p50_ms: round(pct(async_.lag, 50)), lag_p99_ms: round(pct(async_.lag, 99)),
      quorum_commit_per_s: Math.round(quorum.perSecond),
    })}\n`);
  } finally {
    await Promise.all(nodes.map((n) => n.server.stop()));
    for (const n of nodes) rmSync(n.dir, { recursive: true, force: true });
    http.destroy();
  }
}
