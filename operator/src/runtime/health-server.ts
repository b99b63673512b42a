// /healthz (the process and its lease loop are alive), /readyz (the API server answered), /metrics (Prometheus).
import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

export interface HealthChecks {
  healthy(): boolean;
  ready(): boolean;
}

export function startHealthServer(addr: string, checks: HealthChecks, registry: Registry): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const answer = (ok: boolean) => {
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'not ok\n');
    };
    if (path === '/healthz') return answer(checks.healthy());
    if (path === '/readyz') return answer(checks.ready());
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
      return;
    }
    res.writeHead(404).end();
  });
  const at = addr.lastIndexOf(':');
  const host = addr.slice(0, at) || '0.0.0.0';
  const port = Number(addr.slice(at + 1));
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host.replace(/^\[|\]$/g, ''), () => resolve(server));
  });
}
