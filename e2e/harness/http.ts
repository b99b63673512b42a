// Minimal HTTP(S) GET used for health checks of the plane's components and of
// pods (probes). Returns the status code and body; never throws on non-2xx.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface GetOptions {
  timeoutMs?: number;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure?: boolean;
  headers?: Record<string, string>;
}

export async function httpGet(url: string, opts: GetOptions = {}): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const isHttps = u.protocol === 'https:';
  return await new Promise((resolve, reject) => {
    const req = (isHttps ? httpsRequest : httpRequest)(
      u,
      {
        method: 'GET',
        headers: opts.headers,
        timeout: opts.timeoutMs ?? 2000,
        ...(isHttps ? { ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: !opts.insecure } : {}),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 2000}ms`)));
    req.on('error', reject);
    req.end();
  });
}
