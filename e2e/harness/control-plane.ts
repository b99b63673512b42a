// The e2e control plane: etcd, kube-apiserver (RBAC, SA issuer, admin client
// cert), kube-controller-manager, kube-scheduler and process kubelets for
// nodes in several zones, all on 127.0.0.1 with free ports. stop() tears it
// all down and sweeps any process still carrying the plane's marker.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { locateBinaries, type Binaries } from './binaries.js';
import { makeCerts } from './certs.js';
import {
  startApiserver, startControllerManager, startEtcd, startScheduler, type ComponentContext,
} from './components.js';
import { kubeConfigFor, writeKubeconfig, type KubeconfigSpec } from './kubeconfig.js';
import { PlaneHandle, STATE_FILE, type PlaneState } from './plane-handle.js';
import {
  OWNER_MARKER, PLANE_MARKER, findMarkedPids, installExitHooks, onExitSync, reapOrphans, sweepMarked,
  type ManagedProcess,
} from './proc.js';
import type { BackoffConfig } from './process-kubelet/container.js';
import { defaultImageMap } from './process-kubelet/images.js';
import { LoopbackIpPool } from './process-kubelet/ip-pool.js';
import { ProcessKubelet } from './process-kubelet/kubelet.js';
import { waitFor } from './util.js';

export interface PlaneOptions {
  /** Process-kubelet nodes; default three nodes in zones a, b, c. */
  nodes?: Array<{ name: string; zone: string }>;
  /** Start kube-controller-manager, kube-scheduler and kubelets (default true). */
  full?: boolean;
  backoff?: BackoffConfig;
  log?: (msg: string) => void;
}

export const DEFAULT_NODES = [
  { name: 'govc-e2e-node-a', zone: 'zone-a' },
  { name: 'govc-e2e-node-b', zone: 'zone-b' },
  { name: 'govc-e2e-node-c', zone: 'zone-c' },
];

const SERVICE_CIDR = '10.0.0.0/24';

export class ControlPlane {
  private readonly procs: ManagedProcess[] = [];
  private readonly kubelets: ProcessKubelet[] = [];
  private removeExitHook: (() => void) | undefined;
  private stopped = false;
  handle!: PlaneHandle;

  private constructor(readonly id: string, readonly dir: string, readonly bins: Binaries) {}

  /** Pids of the plane's own component processes (etcd, kube-apiserver, ...). */
  get pids(): Record<string, number> {
    return Object.fromEntries(this.procs.map((p) => [p.name, p.pid]));
  }

  static async start(opts: PlaneOptions = {}): Promise<ControlPlane> {
    const bins = locateBinaries();
    installExitHooks();
    const orphans = reapOrphans();
    if (orphans.length > 0) opts.log?.(`killed ${orphans.length} orphaned process(es) of a dead earlier plane`);
    const id = randomBytes(6).toString('hex');
    const dir = mkdtempSync(join(process.env.GOVC_E2E_TMPDIR ?? tmpdir(), 'govc-e2e-'));
    const plane = new ControlPlane(id, dir, bins);
    // Last resort on abrupt exit: kill whatever still carries our marker.
    plane.removeExitHook = onExitSync(() => void sweepMarked(id));
    try {
      await plane.boot(opts);
    } catch (err) {
      await plane.stop({ keepDir: true });
      throw err;
    }
    return plane;
  }

  private async boot(opts: PlaneOptions): Promise<void> {
    const log = opts.log ?? (() => undefined);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? this.dir,
      [PLANE_MARKER]: this.id,
      [OWNER_MARKER]: String(process.pid),
    };
    const ctx: ComponentContext = { bins: this.bins, dir: this.dir, env };
    const t0 = Date.now();
    const certs = makeCerts(join(this.dir, 'pki'));
    const etcd = await startEtcd(ctx);
    this.procs.push(etcd.proc);
    log(`etcd up at ${etcd.url} (${Date.now() - t0}ms)`);
    const api = await startApiserver(ctx, certs, etcd.url, SERVICE_CIDR);
    this.procs.push(api.proc);
    log(`kube-apiserver up at ${api.url} (${Date.now() - t0}ms)`);

    const admin: KubeconfigSpec = {
      server: api.url, caFile: certs.caCert, user: 'govc-e2e-admin',
      credential: { kind: 'cert', certFile: certs.admin.cert, keyFile: certs.admin.key },
    };
    const kubeconfig = writeKubeconfig(join(this.dir, 'admin.kubeconfig'), admin);
    const kubeletDir = join(this.dir, 'kubelet');
    const nodes = opts.full === false ? [] : (opts.nodes ?? DEFAULT_NODES);
    const state: PlaneState = {
      id: this.id, dir: this.dir, server: api.url, caFile: certs.caCert, kubeconfig, admin,
      kubectl: this.bins.kubectl, kubeletDir, nodes, pids: {},
    };

    if (opts.full !== false) {
      const kcmKc = writeKubeconfig(join(this.dir, 'kube-controller-manager.kubeconfig'), {
        server: api.url, caFile: certs.caCert, user: 'system:kube-controller-manager',
        credential: { kind: 'cert', certFile: certs.controllerManager.cert, keyFile: certs.controllerManager.key },
      });
      const schedKc = writeKubeconfig(join(this.dir, 'kube-scheduler.kubeconfig'), {
        server: api.url, caFile: certs.caCert, user: 'system:kube-scheduler',
        credential: { kind: 'cert', certFile: certs.scheduler.cert, keyFile: certs.scheduler.key },
      });
      const [kcm, sched] = await Promise.all([
        startControllerManager(ctx, certs, kcmKc, SERVICE_CIDR),
        startScheduler(ctx, schedKc),
      ]);
      this.procs.push(kcm, sched);
      log(`kube-controller-manager and kube-scheduler up (${Date.now() - t0}ms)`);

      // PROCESS KUBELET: the one stand-in (no container runtime here).
      const pool = new LoopbackIpPool();
      const kc = kubeConfigFor(admin);
      for (const n of nodes) {
        const k = new ProcessKubelet({
          nodeName: n.name, zone: n.zone, kubeConfig: kc, kubeletDir, ipPool: pool,
          imageMap: defaultImageMap(), apiserverHost: '127.0.0.1', apiserverPort: api.port,
          kubeletVersion: this.bins.k8sVersion, extraEnv: { [PLANE_MARKER]: this.id, [OWNER_MARKER]: String(process.pid) },
          backoff: opts.backoff,
        });
        this.kubelets.push(k);
        await k.start();
      }
      const core = kc.makeApiClient(CoreV1Api);
      await waitFor('nodes Ready and untainted, default ServiceAccount', async () => {
        const list = await core.listNode();
        const ready = list.items.filter((n) =>
          n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') &&
          !(n.spec?.taints ?? []).some((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute'));
        if (ready.length < nodes.length) return false;
        await core.readNamespacedServiceAccount({ name: 'default', namespace: 'default' });
        return true;
      }, { timeoutMs: 90_000, intervalMs: 500 });
      log(`${nodes.length} process-kubelet nodes Ready (${Date.now() - t0}ms)`);
    }
    state.pids = this.pids;
    writeFileSync(join(this.dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n');
    this.handle = new PlaneHandle(state);
  }

  get stateFile(): string {
    return join(this.dir, STATE_FILE);
  }

  /**
   * Tear everything down: kubelets (their pods' processes), then the
   * components in reverse start order, then a sweep of marked processes.
   * Returns the pids that had to be swept (should be empty).
   */
  async stop(opts: { keepDir?: boolean } = {}): Promise<{ swept: number[] }> {
    if (this.stopped) return { swept: [] };
    this.stopped = true;
    await Promise.all(this.kubelets.map((k) => k.stop().catch(() => undefined)));
    for (const p of [...this.procs].reverse()) await p.stop(10_000);
    // Give the kernel a moment to reap, then sweep anything left with our marker.
    let swept: number[] = [];
    try {
      await waitFor('plane processes gone', () => findMarkedPids(this.id).length === 0, { timeoutMs: 5000, intervalMs: 100 });
    } catch {
      swept = sweepMarked(this.id);
    }
    this.removeExitHook?.();
    if (!opts.keepDir && !process.env.GOVC_E2E_KEEP) rmSync(this.dir, { recursive: true, force: true });
    return { swept };
  }
}
