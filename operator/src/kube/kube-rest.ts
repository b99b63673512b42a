// A thin JSON client for the operator's hot writes (status and finalizer patches, Events). client-node 1.x costs
// more CPU per request than the API server's own work on it: it re-reads the kubeconfig's certificate files,
// hashes TLS options, runs an rxjs-style middleware chain and the generated (de)serializers on every call. Here the
// credentials (TLS material and Authorization header, from the same KubeConfig) are resolved once per `refreshMs`
// (rotated tokens and certificates are picked up), and every request reuses one keep-alive agent.
import { createHash } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

/** A non-2xx answer: `code` and `body` as client-node's ApiException has them (api-errors.ts reads both). */
export class KubeApiError extends Error {
  constructor(readonly code: number, readonly body: unknown, method: string, path: string) {
    super(`${method} ${path}: HTTP ${code}${typeof body === 'object' && body && 'message' in body ? `: ${String(body.message)}` : ''}`);
  }
}

interface Credentials {
  at: number;
  /** Hash of the TLS material: a new agent only when it changed. */
  tlsKey: string;
  agent: HttpAgent | HttpsAgent;
  headers: Record<string, string>;
}

const TIMEOUT_MS = 30_000;

export class KubeRest {
  private creds: Credentials | undefined;
  private pending: Promise<Credentials> | undefined;
  private readonly server: URL;

  constructor(private readonly kc: KubeConfig, private readonly refreshMs = 10_000, private readonly maxSockets = 32) {
    const server = kc.getCurrentCluster()?.server;
    if (!server) throw new Error('the kubeconfig names no current cluster server');
    this.server = new URL(server);
  }

  mergePatch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body, 'application/json');
  }

  close(): void {
    this.creds?.agent.destroy();
  }

  private async send<T>(method: string, path: string, body: unknown, contentType: string): Promise<T> {
    const creds = await this.credentials();
    const payload = Buffer.from(JSON.stringify(body));
    const https = this.server.protocol === 'https:';
    const basePath = this.server.pathname.replace(/\/$/, '');
    return new Promise<T>((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)({
        method,
        host: this.server.hostname.replace(/^\[|\]$/g, ''),
        port: this.server.port || (https ? 443 : 80),
        path: basePath + path,
        agent: creds.agent,
        headers: { ...creds.headers, 'Content-Type': contentType, Accept: 'application/json', 'Content-Length': payload.length },
        timeout: TIMEOUT_MS,
      }, (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            // not JSON (a proxy's error page): keep the text
          }
          const code = res.statusCode ?? 0;
          if (code >= 200 && code < 300) resolve(parsed as T);
          else reject(new KubeApiError(code, parsed, method, path));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  private credentials(): Promise<Credentials> {
    const c = this.creds;
    if (c && Date.now() - c.at < this.refreshMs) return Promise.resolve(c);
    this.pending ??= this.load().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async load(): Promise<Credentials> {
    const opts: RequestOptions = {};
    await this.kc.applyToHTTPSOptions(opts);
    const h = createHash('sha256');
    for (const v of [opts.ca, opts.cert, opts.key, opts.pfx, opts.passphrase, opts.servername, opts.rejectUnauthorized]) {
      h.update(v === undefined ? '-' : Buffer.isBuffer(v) ? v : JSON.stringify(v)).update('\0');
    }
    const tlsKey = h.digest('hex');
    let agent = this.creds?.agent;
    if (!agent || this.creds?.tlsKey !== tlsKey) {
      agent?.destroy();
      const common = { keepAlive: true, maxSockets: this.maxSockets };
      agent = this.server.protocol === 'https:'
        ? new HttpsAgent({
          ...common, ca: opts.ca, cert: opts.cert, key: opts.key, pfx: opts.pfx, passphrase: opts.passphrase,
          ...(opts.servername ? { servername: opts.servername } : {}),
          ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
        })
        : new HttpAgent(common);
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (v !== undefined) headers[k] = String(v);
    this.creds = { at: Date.now(), tlsKey, agent, headers };
    return this.creds;
  }
}
