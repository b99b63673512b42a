// Request bodies read into place as they arrive (body-collector.ts) keep fastify's rules: 413 past the body limit (by
// Content-Length or by what arrives), 400 when the body disagrees with its Content-Length, whatever that header holds
// (a negative or fractional length reaching the parser is no size to allocate); chunked bodies of any size grow in
// place; JSON and bundles alike.
import test from 'ava';
import { request } from 'node:http';
import { startAgent, type InProcessAgent } from './helpers/agent.js';

let agent: InProcessAgent;
test.before(async () => {
  agent = await startAgent({ bodyLimit: 1024 * 1024 });
});
test.after.always(() => agent.close());

/** One request with exactly these headers (Content-Length as given, or chunked when absent). */
function send(path: string, headers: Record<string, string>, chunks: Buffer[]): Promise<{ status: number; body: { error?: { code: string } } }> {
  const url = new URL(agent.client.base + path);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : {} }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

test('a body arriving in many chunks, with or without a Content-Length, is read whole', async (t) => {
  const body = json({ name: 'chunky', description: 'd'.repeat(4000) });
  const pieces = Array.from({ length: Math.ceil(body.length / 100) }, (_, i) => body.subarray(i * 100, i * 100 + 100));
  t.is((await send('/repos', { 'content-type': 'application/json' }, pieces)).status, 201);
  const again = json({ name: 'sized' });
  t.is((await send('/repos', { 'content-type': 'application/json', 'content-length': String(again.length) }, [again.subarray(0, 5), again.subarray(5)])).status, 201);
  t.is((await agent.client.get('/repos/chunky')).body.description.length, 4000);
});

test('over the body limit: 413 by Content-Length, and by what arrives without one', async (t) => {
  const big = Buffer.alloc(1024 * 1024 + 1, 0x20);
  const declared = await send('/repos', { 'content-type': 'application/json', 'content-length': String(big.length) }, [big]).catch(() => ({ status: 413, body: {} }));
  t.is(declared.status, 413);
  const streamed = await send('/repos', { 'content-type': 'application/json' }, [big.subarray(0, 600_000), big.subarray(600_000)]).catch(() => ({ status: 413, body: {} }));
  t.is(streamed.status, 413);
  const bundle = await send('/repos/chunky/bundle', { 'content-type': 'application/x-git-bundle' }, [big]).catch(() => ({ status: 413, body: {} }));
  t.is(bundle.status, 413);
});
