// Test harness: a real agent HTTP server on a free loopback port (in-process, or as a child process when a test needs to
// kill it), plus a small JSON client.
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, isAddressInUse } from './free-port.js';
import { DEFAULT_LIMITS, type Limits } from '../../src/limits.js';
import { createLogger } from '../../src/logger.js';
import { RepositoryStore } from '../../src/store/repository-store.js';
import { createHttpServer } from '../../src/transports/http/server.js';

export interface ApiReply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  raw: Buffer;
}

export class Client {
  constructor(readonly base: string) {}

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
    const init: RequestInit = { method, headers: { ...headers } };
    if (Buffer.isBuffer(body)) {
      init.body = body;
      (init.headers as Record<string, string>)['content-type'] ??= 'application/x-git-bundle';
    } else if (typeof body === 'string') {
      init.body = body;
    } else if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    let res: Response;
    try {
      res = await fetch(this.base + path, init);
    } catch (e) {
      // undici says only "fetch failed"; what failed (reset, refused, closed) is in its cause
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new Error(`${method} ${path} failed${cause}`, { cause: e });
    }
    const raw = Buffer.from(await res.arrayBuffer());
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') && raw.length > 0 ? JSON.parse(raw.toString('utf8')) : raw;
    return { status: res.status, headers: res.headers, body: parsed as T, raw };
  }

  get<T = any>(path: string) { return this.request<T>('GET', path); } // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  post<T = any>(path: string, body?: unknown) { return this.request<T>('POST', path, body); } // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
  delete<T = any>(path: string) { return this.request<T>('DELETE', path); } // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
}

export interface InProcessAgent {
  client: Client;
  store: RepositoryStore;
  close(): Promise<void>;
}

export async function startAgent(opts: { bodyLimit?: number; limits?: Partial<Limits> } = {}): Promise<InProcessAgent> {
  const store = new RepositoryStore();
  const app = await createHttpServer({
    store, log: createLogger('error'), bodyLimit: opts.bodyLimit ?? 64 * 1024 * 1024, isReady: () => true, version: 'test',
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  return { client: new Client(`http://127.0.0.1:${addr.port}/api/v1`), store, close: () => app.close() };
}

export { freePort };

export const AGENT_ENTRY = resolve(process.cwd(), 'dist/agent/src/main.js');

export interface AgentProcess {
  child: ChildProcess;
  client: Client;
  root: string;
  port: number;
  output: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Runs the built agent as a real process (for kill -9 and restart tests). */
export async function spawnAgent(env: Record<string, string>, opts: { port?: number; cwd?: string; readyTimeoutMs?: number } = {}): Promise<AgentProcess> {
  // The port chosen here may be taken by another process before the agent binds it (free-port.ts): then another one.
  for (let attempt = 1; ; attempt++) {
    const p = opts.port ?? (await freePort());
    try {
      return await spawnAgentOn(p, env, opts);
    } catch (e) {
      if (opts.port !== undefined || attempt === 3 || !(isAddressInUse(e) && String(e).includes(`:${p}`))) throw e;
    }
  }
}

async function spawnAgentOn(p: number, env: Record<string, string>, opts: { cwd?: string; readyTimeoutMs?: number }): Promise<AgentProcess> {
  const child = spawn(process.execPath, [AGENT_ENTRY], {
    cwd: opts.cwd,
    env: { ...process.env, GOVC_HTTP_ADDR: `127.0.0.1:${p}`, GOVC_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const root = `http://127.0.0.1:${p}`;
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 15000);
  for (;;) {
    if (child.exitCode !== null) throw new Error(`agent exited with ${child.exitCode}: ${out}`);
    try {
      const r = await fetch(root + '/readyz');
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL'); // a child left running would keep the test process from ever exiting
      throw new Error(`agent did not become ready: ${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return {
    child, client: new Client(root + '/api/v1'), root, port: p, output: () => out,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

export function tempDir(prefix = 'govc-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export const AUTHOR = { name: 'Ada Lovelace', email: 'ada@example.com', date: '2024-05-01T12:00:00+02:00' };

export function commitBody(branch: string, files: Record<string, string>, extra: Record<string, unknown> = {}) {
  return {
    branch,
    message: extra.message ?? `update ${Object.keys(files).join(', ')}`,
    author: AUTHOR,
    files: Object.entries(files).map(([path, content]) => ({ path, content })),
    ...extra,
  };
}
