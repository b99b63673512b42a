// Test harness for replication: real agent processes with gRPC on loopback, driven through the Admin API.
import { Metadata, credentials, ServiceError, status } from '@grpc/grpc-js';
import { AdminClient, AssignRequest, RepoState, Role, WriteConcern } from '../../../proto/gen/govc/v1/admin.js';
import { AgentProcess, commitBody, freePort, spawnAgent, tempDir } from './agent.js';
import { isAddressInUse } from './free-port.js';

export const TOKEN = 'test-token-0123456789abcdef';

export interface Node {
  name: string;
  grpc: string;
  httpPort: number;
  dataDir: string;
  env: Record<string, string>;
  proc: AgentProcess;
  admin: Admin;
}

export class Admin {
  readonly client: AdminClient;
  constructor(addr: string, private readonly token: string | null = TOKEN) {
    this.client = new AdminClient(addr, credentials.createInsecure());
  }

  private md(): Metadata {
    const md = new Metadata();
    if (this.token !== null) md.set('authorization', `Bearer ${this.token}`);
    return md;
  }

  call<Req, Res>(method: string, req: Req): Promise<Res> {
    return new Promise((res, rej) => {
      // The generated client's methods share one (request, metadata, options, callback) shape.
      const fn = (this.client as unknown as Record<string, (r: Req, m: Metadata, o: object, cb: (e: ServiceError | null, v: Res) => void) => void>)[method];
      fn.call(this.client, req, this.md(), { deadline: Date.now() + 10000 }, (e, v) => (e ? rej(e) : res(v)));
    });
  }

  assign(req: Partial<AssignRequest>): Promise<RepoState> {
    return this.call('assign', { repo: '', role: Role.ROLE_UNSPECIFIED, epoch: 0, primaryAddr: '', members: [], writeConcern: WriteConcern.WRITE_CONCERN_ASYNC, defaultBranch: '', primaryHttpAddr: '', ...req });
  }

  setRoutes(routes: { repo: string; primaryHttpAddr: string; epoch: number }[], replace = false): Promise<{ applied: number; ignored: number; total: number }> {
    return this.call('setRoutes', { routes, replace });
  }

  state(repo: string): Promise<RepoState> {
    return this.call('getRepoState', { repo });
  }

  close(): void {
    this.client.close();
  }
}

export async function startNode(name: string, env: Record<string, string> = {}, reuse?: Node): Promise<Node> {
  // New ports when another process took one of ours between the check and the bind (free-port.ts); a restart keeps its own.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startNodeOnce(name, env, reuse);
    } catch (e) {
      if (reuse || attempt === 3 || !isAddressInUse(e)) throw e;
    }
  }
}

async function startNodeOnce(name: string, env: Record<string, string>, reuse?: Node): Promise<Node> {
  const grpc = reuse?.grpc ?? `127.0.0.1:${await freePort()}`;
  const dataDir = reuse?.dataDir ?? tempDir(`govc-repl-${name}-`);
  const httpPort = reuse?.httpPort ?? (await freePort());
  const fullEnv = reuse?.env ?? {
    GOVC_DATA_DIR: dataDir, GOVC_GRPC_ADDR: grpc, GOVC_TOKEN: TOKEN, GOVC_WRITE_CONCERN_TIMEOUT_MS: '1000',
    GOVC_ANTI_ENTROPY_MS: '500', GOVC_LOG_LEVEL: 'error', ...env,
  };
  const proc = await spawnAgent(fullEnv, { port: httpPort });
  return { name, grpc, httpPort, dataDir, env: fullEnv, proc, admin: reuse?.admin ?? new Admin(grpc) };
}

/** n agents; when one cannot start, those that did are stopped (left running, they would keep the test process alive). */
export async function startCluster(n: number, env: Record<string, string> = {}): Promise<Node[]> {
  const started = await Promise.allSettled(Array.from({ length: n }, (_, i) => startNode(`n${i}`, env)));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (!failed) return started.map((s) => (s as PromiseFulfilledResult<Node>).value);
  await stopAll(started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : [])));
  throw failed.reason;
}

export async function assignAll(nodes: Node[], repo: string, primary: Node, epoch: number, writeConcern = WriteConcern.WRITE_CONCERN_QUORUM, only?: Node[]): Promise<void> {
  const members = nodes.map((n) => n.grpc);
  for (const n of only ?? nodes) {
    await n.admin.assign({ repo, epoch, role: n === primary ? Role.ROLE_PRIMARY : Role.ROLE_REPLICA, primaryAddr: primary.grpc, members, writeConcern });
  }
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until every live node reports the same seq and checksum as the first; returns that state. */
export async function converged(nodes: Node[], repo: string, timeoutMs = 15000): Promise<RepoState> {
  return until(`convergence of ${repo}`, async () => {
    const states = await Promise.all(nodes.map((n) => n.admin.state(repo)));
    const first = states[0];
    return states.every((s) => s.appliedSeq === first.appliedSeq && s.checksum === first.checksum) ? first : undefined;
  }, timeoutMs);
}

export function commit(node: Node, repo: string, i: number, headers: Record<string, string> = {}) {
  return node.proc.client.request('POST', `/repos/${repo}/commits`, commitBody('main', { [`f${i % 7}.txt`]: `content ${i}\n` }, { message: `c${i}` }), headers);
}

/** The REST address a node advertises (what the operator publishes in routes). */
export const httpAddr = (n: Node): string => `127.0.0.1:${n.httpPort}`;

export async function metrics(n: Node): Promise<string> {
  return (await fetch(`${n.proc.root}/metrics`)).text();
}

/** A sample's value in a Prometheus text exposition (NaN when absent). */
export function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}

export async function stopAll(nodes: Node[]): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    n.admin.close();
    await n.proc.stop('SIGKILL');
  }));
}

/** The gRPC status a call ends with (OK when it succeeds). */
export async function grpcCode(p: Promise<unknown>): Promise<status> {
  try {
    await p;
    return status.OK;
  } catch (e) {
    return (e as ServiceError).code;
  }
}
