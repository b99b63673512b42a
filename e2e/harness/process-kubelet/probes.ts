// PROCESS KUBELET (test stand-in): readiness/liveness/startup probes, run
// against the pod's loopback IP. httpGet (HTTP only) and tcpSocket are
// supported; exec probes are reported as failures ("unsupported").
import { connect } from 'node:net';
import type { V1Container, V1Probe } from '@kubernetes/client-node';
import { httpGet } from '../http.js';

export type ProbeResult = { ok: boolean; message: string };

function resolvePort(port: number | string, c: V1Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`no container port named ${port}`);
  return named.containerPort;
}

export async function runProbe(p: V1Probe, c: V1Container, podIP: string): Promise<ProbeResult> {
  const timeoutMs = (p.timeoutSeconds ?? 1) * 1000;
  try {
    if (p.httpGet) {
      const host = p.httpGet.host ?? podIP;
      const port = resolvePort(p.httpGet.port as number | string, c);
      const path = p.httpGet.path ?? '/';
      const headers: Record<string, string> = {};
      for (const h of p.httpGet.httpHeaders ?? []) headers[h.name] = h.value;
      const r = await httpGet(`http://${host}:${port}${path.startsWith('/') ? path : '/' + path}`, { timeoutMs, headers });
      return { ok: r.status >= 200 && r.status < 400, message: `HTTP probe failed with statuscode: ${r.status}` };
    }
    if (p.tcpSocket) {
      const host = p.tcpSocket.host ?? podIP;
      const port = resolvePort(p.tcpSocket.port as number | string, c);
      await new Promise<void>((resolve, reject) => {
        const s = connect({ host, port, timeout: timeoutMs });
        s.once('connect', () => { s.destroy(); resolve(); });
        s.once('timeout', () => { s.destroy(); reject(new Error('timeout')); });
        s.once('error', reject);
      });
      return { ok: true, message: '' };
    }
    return { ok: false, message: 'process kubelet: unsupported probe handler (only httpGet and tcpSocket)' };
  } catch (err) {
    return { ok: false, message: `probe failed: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Runs a probe periodically and reports threshold-crossing transitions:
 * onChange(true) after successThreshold consecutive successes, onChange(false)
 * after failureThreshold consecutive failures.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private state: boolean | undefined;
  lastMessage = '';

  constructor(
    private readonly probe: V1Probe,
    private readonly container: V1Container,
    private readonly podIP: string,
    private readonly onChange: (ok: boolean, message: string) => void,
  ) {}

  start(): void {
    this.schedule((this.probe.initialDelaySeconds ?? 0) * 1000);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const r = await runProbe(this.probe, this.container, this.podIP);
    if (this.stopped) return;
    this.lastMessage = r.message;
    if (r.ok) {
      this.failures = 0;
      this.successes++;
      if (this.state !== true && this.successes >= (this.probe.successThreshold ?? 1)) {
        this.state = true;
        this.onChange(true, '');
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.state !== false && this.failures >= (this.probe.failureThreshold ?? 3)) {
        this.state = false;
        this.onChange(false, r.message);
      }
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }
}
