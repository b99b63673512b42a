// Processes a benchmark measures: the real agent and a bare Node HTTP server (the ceiling), each a child process so the
// load generator in this process does not share their event loop.
import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort } from '../agent/test/helpers/free-port.js';
import { resolve } from 'node:path';

export interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** CPU seconds (user + system) a process has used so far, from /proc: robust to a noisy machine where wall time is not. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100 on Linux)
}

export { freePort };

async function waitFor(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not yet listening
    }
    if (Date.now() > deadline) throw new Error(`${url} never answered`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function wrap(child: ChildProcess, url: string): Server {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

const CEILING_SOURCE = `
const http = require('node:http');
const body = JSON.stringify({ status: 'ok' });
http.createServer((req, res) => {
  req.resume();
  req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }); res.end(body); });
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

// The framework's own floor: fastify serving the same 1 KiB body the agent's read benchmark fetches, and taking the same
// JSON commit body (parsed and validated against a schema of the same shape) to answer 201 with a fixed commit-sized
// reply, with nothing else: what any fastify service pays before doing its own work.
const FASTIFY_FLOOR_SOURCE = `
import Fastify from 'fastify';
const body = Buffer.alloc(1024, 120);
const app = Fastify({ logger: false });
app.get('/file', async (_req, reply) => reply.type('application/octet-stream').send(body));
const sha = { type: 'string', pattern: '^[0-9a-f]{40}$' };
const who = { type: 'object', additionalProperties: false, required: ['name', 'email'], properties: { name: { type: 'string', minLength: 1 }, email: { type: 'string' } } };
const reply201 = { sha: 'a'.repeat(40), tree: 'b'.repeat(40), parents: ['c'.repeat(40)], branch: 'main', seq: 1 };
app.post('/commit', { schema: {
  body: { type: 'object', additionalProperties: false, required: ['branch', 'message', 'author'], properties: {
    branch: { type: 'string', minLength: 1 }, message: { type: 'string', minLength: 1 }, author: who,
    files: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['path', 'content'],
      properties: { path: { type: 'string', minLength: 1 }, content: { type: 'string' } } } } } },
  response: { 201: { type: 'object', properties: { sha, tree: sha, parents: { type: 'array', items: sha }, branch: { type: 'string' }, seq: { type: 'integer' } } } },
} }, async (_req, reply) => reply.status(201).send(reply201));
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
`;

export async function startFastifyFloor(): Promise<Server> {
  const port = await freePort();
  // Evaluated as a module from the project folder so `fastify` resolves from its node_modules.
  const child = spawn(process.execPath, ['--input-type=module', '-e', FASTIFY_FLOOR_SOURCE], {
    env: { ...process.env, PORT: String(port) }, stdio: 'ignore', cwd: resolve('.'),
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + '/file', child);
  return wrap(child, url);
}

export async function startCeiling(): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, ['-e', CEILING_SOURCE], { env: { ...process.env, PORT: String(port) }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url, child);
  return wrap(child, url);
}

export async function startAgentProcess(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve('dist/agent/src/main.js')], {
    env: { ...process.env, GOVC_HTTP_ADDR: `127.0.0.1:${port}`, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await waitFor(url + '/readyz', child);
  return wrap(child, url);
}
