// PROCESS KUBELET — the one stand-in of the e2e plane. There is no container
// runtime on the test machines, so this small kubelet runs each container's
// command as a local process. It registers a Node (labelled with its
// topology.kubernetes.io/zone), keeps its Lease and NodeReady heartbeat,
// watches the Pods bound to it and runs them (see pod-worker.ts).
import { appendFileSync, mkdirSync } from 'node:fs';
import { arch } from 'node:os';
import { join } from 'node:path';
import {
  CoordinationV1Api, CoreV1Api, KubeConfig, PatchStrategy, Watch, setHeaderOptions, type V1Pod,
} from '@kubernetes/client-node';
import type { BackoffConfig } from './container.js';
import { isoNow } from './container.js';
import type { ImageMap } from './images.js';
import type { LoopbackIpPool } from './ip-pool.js';
import { PodWorker } from './pod-worker.js';

export interface ProcessKubeletOptions {
  nodeName: string;
  zone: string;
  kubeConfig: KubeConfig;
  /** Shared by every node of the plane: <planeDir>/kubelet. */
  kubeletDir: string;
  ipPool: LoopbackIpPool;
  imageMap: ImageMap;
  apiserverHost: string;
  apiserverPort: number;
  kubeletVersion: string;
  extraEnv: Record<string, string>;
  backoff?: BackoffConfig;
  heartbeatMs?: number;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const isCode = (err: unknown, code: number): boolean => (err as { code?: number }).code === code;

export class ProcessKubelet {
  private readonly core: CoreV1Api;
  private readonly coord: CoordinationV1Api;
  private readonly workers = new Map<string, PodWorker>();
  private heartbeat: NodeJS.Timeout | undefined;
  private abort: AbortController | undefined;
  private stopped = false;
  private readonly logFile: string;

  constructor(private readonly opts: ProcessKubeletOptions) {
    this.core = opts.kubeConfig.makeApiClient(CoreV1Api);
    this.coord = opts.kubeConfig.makeApiClient(CoordinationV1Api);
    mkdirSync(opts.kubeletDir, { recursive: true });
    this.logFile = join(opts.kubeletDir, `${opts.nodeName}.log`);
  }

  get nodeName(): string {
    return this.opts.nodeName;
  }

  log(msg: string): void {
    appendFileSync(this.logFile, `${new Date().toISOString()} ${msg}\n`);
  }

  /** OS pid of a running container of a pod on this node, if any. */
  containerPid(namespace: string, pod: string, container: string): number | undefined {
    for (const w of this.workers.values()) if (w.key === `${namespace}/${pod}`) return w.containerPid(container);
    return undefined;
  }

  async start(): Promise<void> {
    await this.registerNode();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat().catch((e) => this.log(`heartbeat: ${String(e)}`)), this.opts.heartbeatMs ?? 5000);
    await this.syncAndWatch();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.abort?.abort();
    await Promise.all([...this.workers.values()].map((w) => w.kill(0)));
    this.workers.clear();
  }

  private async registerNode(): Promise<void> {
    const o = this.opts;
    const body = {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: {
        name: o.nodeName,
        labels: {
          'kubernetes.io/hostname': o.nodeName,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': arch() === 'x64' ? 'amd64' : arch(),
          'topology.kubernetes.io/zone': o.zone,
          'govc.io/process-kubelet': 'true',
        },
        annotations: { 'govc.io/stand-in': 'process kubelet: containers run as local processes' },
      },
      spec: {},
    };
    try {
      await this.core.createNode({ body });
    } catch (err) {
      if (!isCode(err, 409)) throw err;
    }
  }

  private nodeStatus(): Record<string, unknown> {
    const now = isoNow();
    const cond = (type: string, status: string, reason: string, message: string) =>
      ({ type, status, reason, message, lastHeartbeatTime: now, lastTransitionTime: this.transition(type, status, now) });
    const res = { cpu: '8', memory: '16Gi', pods: '110', 'ephemeral-storage': '100Gi' };
    return {
      capacity: res,
      allocatable: res,
      conditions: [
        cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'process kubelet has sufficient memory available'),
        cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'process kubelet has no disk pressure'),
        cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'process kubelet has sufficient PID available'),
        cond('Ready', 'True', 'KubeletReady', 'process kubelet is posting ready status'),
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: this.opts.nodeName },
      ],
      nodeInfo: {
        machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: 'govc process kubelet',
        containerRuntimeVersion: 'process://govc-process-kubelet', kubeletVersion: this.opts.kubeletVersion,
        kubeProxyVersion: '', operatingSystem: 'linux', architecture: arch() === 'x64' ? 'amd64' : arch(),
      },
    };
  }

  private readonly transitions = new Map<string, { status: string; at: string }>();
  private transition(type: string, status: string, now: string): string {
    const t = this.transitions.get(type);
    if (t && t.status === status) return t.at;
    this.transitions.set(type, { status, at: now });
    return now;
  }

  /** Renew the node Lease and post the NodeReady condition. */
  private async beat(): Promise<void> {
    const name = this.opts.nodeName;
    const namespace = 'kube-node-lease';
    // MicroTime wants exactly six fractional digits.
    const renewTime = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const spec = { holderIdentity: name, leaseDurationSeconds: 40, renewTime };
    try {
      await this.coord.patchNamespacedLease({ name, namespace, body: { spec } }, mergePatch);
    } catch (err) {
      if (!isCode(err, 404)) throw err;
      // client-node serializes Dates with milliseconds, which MicroTime
      // rejects; create without renewTime, then patch it in as a string.
      await this.coord.createNamespacedLease({
        namespace,
        body: { metadata: { name, namespace }, spec: { holderIdentity: name, leaseDurationSeconds: 40 } },
      });
      await this.coord.patchNamespacedLease({ name, namespace, body: { spec } }, mergePatch);
    }
    await this.core.patchNodeStatus({ name, body: { status: this.nodeStatus() } }, mergePatch);
  }

  /** List the pods bound to this node, then watch them; relist on any error. */
  private async syncAndWatch(): Promise<void> {
    if (this.stopped) return;
    const fieldSelector = `spec.nodeName=${this.opts.nodeName}`;
    let rv: string | undefined;
    try {
      const list = await this.core.listPodForAllNamespaces({ fieldSelector });
      rv = list.metadata?.resourceVersion;
      const seen = new Set<string>();
      for (const p of list.items) {
        seen.add(p.metadata?.uid ?? '');
        this.onPod('MODIFIED', p);
      }
      for (const [uid, w] of this.workers) {
        if (!seen.has(uid)) {
          this.workers.delete(uid);
          void w.kill(0);
        }
      }
    } catch (err) {
      this.log(`list pods: ${String(err)}`);
      setTimeout(() => void this.syncAndWatch(), 1000);
      return;
    }
    const watch = new Watch(this.opts.kubeConfig);
    const retry = (err: unknown): void => {
      if (this.stopped) return;
      if (err) this.log(`watch ended: ${String(err)}`);
      setTimeout(() => void this.syncAndWatch(), err ? 1000 : 0);
    };
    try {
      this.abort = await watch.watch(
        '/api/v1/pods',
        { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true },
        // Watch delivers the decoded JSON object (untyped).
        (type: string, obj: V1Pod) => {
          if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') this.onPod(type, obj);
        },
        retry,
      );
    } catch (err) {
      retry(err);
    }
  }

  private onPod(type: string, pod: V1Pod): void {
    if (this.stopped) return;
    const uid = pod.metadata?.uid ?? '';
    const existing = this.workers.get(uid);
    if (type === 'DELETED') {
      if (existing) {
        this.workers.delete(uid);
        void existing.kill(0);
      }
      return;
    }
    if (existing) {
      existing.update(pod);
      return;
    }
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return;
    const w = new PodWorker(pod, {
      core: this.core,
      kubeletDir: this.opts.kubeletDir,
      hostIP: '127.0.0.1',
      ipPool: this.opts.ipPool,
      imageMap: this.opts.imageMap,
      backoff: this.opts.backoff ?? { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 },
      envBase: { apiserverHost: this.opts.apiserverHost, apiserverPort: this.opts.apiserverPort, extra: this.opts.extraEnv },
      log: (m) => this.log(m),
    });
    this.workers.set(uid, w);
    void w.done.then(() => {
      if (this.workers.get(uid) === w) this.workers.delete(uid);
    });
    if (pod.metadata?.deletionTimestamp) {
      void w.terminate();
      return;
    }
    void w.begin().then(() => {
      if (this.workers.get(uid) === w && pod.metadata?.deletionTimestamp) void w.terminate();
    }, (err) => this.log(`pod start failed: ${String(err)}`));
  }
}
