// PROCESS KUBELET (test stand-in): the life of one pod bound to this node:
// give it a loopback IP, set up volumes, start its containers, compute and
// write its status (phase, conditions, container statuses), and on deletion
// SIGTERM its processes, SIGKILL them after the grace period, and finalize
// the deletion with grace period 0.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { ContainerRunner, isoNow, type BackoffConfig } from './container.js';
import type { EnvContext } from './env.js';
import type { ImageMap } from './images.js';
import type { LoopbackIpPool } from './ip-pool.js';
import { setUpVolumes } from './volumes.js';

export interface PodWorkerDeps {
  core: CoreV1Api;
  kubeletDir: string;
  hostIP: string;
  ipPool: LoopbackIpPool;
  imageMap: ImageMap;
  backoff: BackoffConfig;
  envBase: Omit<EnvContext, 'podIP' | 'hostIP' | 'core'>;
  log: (msg: string) => void;
}

type Cond = { type: string; status: 'True' | 'False'; lastTransitionTime: string; reason?: string; message?: string };

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class PodWorker {
  private runners: ContainerRunner[] = [];
  private podIP = '';
  private startTime = '';
  private conditions = new Map<string, Cond>();
  private dirty = false;
  private writing: Promise<void> | undefined;
  private terminating = false;
  private gone = false;
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(private pod: V1Pod, private readonly deps: PodWorkerDeps) {
    this.done = new Promise((r) => (this.resolveDone = r));
    // Keep the scheduler's PodScheduled transition time.
    const sched = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (sched?.lastTransitionTime) {
      this.conditions.set('PodScheduled', {
        type: 'PodScheduled', status: 'True', lastTransitionTime: new Date(sched.lastTransitionTime).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      });
    }
  }

  get key(): string {
    return `${this.pod.metadata?.namespace}/${this.pod.metadata?.name}`;
  }

  containerPid(name: string): number | undefined {
    return this.runners.find((r) => r.spec.name === name)?.pid;
  }

  private beginning: Promise<void> | undefined;

  begin(): Promise<void> {
    this.beginning ??= this.doBegin();
    return this.beginning;
  }

  private async doBegin(): Promise<void> {
    const ns = this.pod.metadata?.namespace ?? 'default';
    const name = this.pod.metadata?.name ?? '';
    const podDir = join(this.deps.kubeletDir, 'pods', ns, `${name}_${this.pod.metadata?.uid}`);
    mkdirSync(podDir, { recursive: true });
    this.podIP = this.deps.ipPool.allocate();
    this.startTime = isoNow();
    this.deps.log(`pod ${this.key} -> ${this.podIP}`);
    const envCtx: EnvContext = { ...this.deps.envBase, podIP: this.podIP, hostIP: this.deps.hostIP, core: this.deps.core };
    let volumeDirs = new Map<string, string>();
    try {
      volumeDirs = await setUpVolumes(this.pod, podDir, envCtx);
    } catch (err) {
      this.deps.log(`pod ${this.key}: volume setup failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    if (this.terminating || this.gone) return;
    this.setCond('Initialized', true);
    for (const c of this.pod.spec?.containers ?? []) {
      this.runners.push(
        new ContainerRunner(c, {
          pod: () => this.pod,
          podDir,
          kubeletDir: this.deps.kubeletDir,
          envCtx,
          imageMap: this.deps.imageMap,
          volumeDirs,
          backoff: this.deps.backoff,
          onUpdate: () => this.markDirty(),
          log: this.deps.log,
        }),
      );
    }
    for (const r of this.runners) {
      if (this.terminating) break;
      await r.start();
    }
    this.markDirty();
  }

  /** A newer version of the pod from the API. */
  update(pod: V1Pod): void {
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp && !this.terminating) void this.terminate();
  }

  /** Graceful deletion: SIGTERM, wait grace, SIGKILL, then delete with grace 0. */
  async terminate(): Promise<void> {
    this.terminating = true;
    await this.beginning?.catch(() => undefined);
    const grace = this.pod.metadata?.deletionGracePeriodSeconds ?? this.pod.spec?.terminationGracePeriodSeconds ?? 30;
    await Promise.all(this.runners.map((r) => r.stop(grace)));
    this.markDirty();
    await this.writing;
    const { name, namespace, uid } = this.pod.metadata ?? {};
    try {
      await this.deps.core.deleteNamespacedPod({
        name: name ?? '',
        namespace: namespace ?? 'default',
        gracePeriodSeconds: 0,
        body: { gracePeriodSeconds: 0, preconditions: { uid } },
      });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) this.deps.log(`pod ${this.key}: final delete failed: ${String(err)}`);
    }
    this.finish();
  }

  /** The pod vanished from the API (or the kubelet stops): kill now. */
  async kill(graceSeconds = 0): Promise<void> {
    this.gone = true;
    this.terminating = true;
    await this.beginning?.catch(() => undefined);
    await Promise.all(this.runners.map((r) => r.stop(graceSeconds)));
    this.finish();
  }

  private finish(): void {
    if (this.podIP) this.deps.ipPool.release(this.podIP);
    this.podIP = '';
    this.resolveDone();
  }

  private setCond(type: string, ok: boolean, reason?: string): void {
    const prev = this.conditions.get(type);
    const status = ok ? 'True' : 'False';
    if (prev && prev.status === status && prev.reason === reason) return;
    const c: Cond = { type, status, lastTransitionTime: isoNow() };
    if (reason) c.reason = reason;
    this.conditions.set(type, c);
  }

  private phase(): string {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    const rs = this.runners;
    if (rs.length === 0 || rs.some((r) => !r.everStarted)) return 'Pending';
    if (rs.every((r) => r.finished && 'terminated' in r.state)) {
      const allOk = rs.every((r) => 'terminated' in r.state && r.state.terminated.exitCode === 0);
      if (allOk) return 'Succeeded';
      if (policy !== 'Always') return 'Failed';
    }
    return 'Running';
  }

  statusJson(): Record<string, unknown> {
    const allReady = this.runners.length > 0 && this.runners.every((r) => r.ready);
    this.setCond('PodScheduled', true);
    this.setCond('ContainersReady', allReady, allReady ? undefined : 'ContainersNotReady');
    this.setCond('Ready', allReady, allReady ? undefined : 'ContainersNotReady');
    const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
    const conditions = [...this.conditions.values()].sort((a, b) => order.indexOf(a.type) - order.indexOf(b.type));
    const status: Record<string, unknown> = {
      phase: this.phase(),
      conditions: conditions.map((c) => ({ ...c, lastProbeTime: null })),
      hostIP: this.deps.hostIP,
      hostIPs: [{ ip: this.deps.hostIP }],
      startTime: this.startTime,
      containerStatuses: this.runners.map((r) => r.statusJson()),
    };
    if (this.podIP) {
      status.podIP = this.podIP;
      status.podIPs = [{ ip: this.podIP }];
    }
    return status;
  }

  markDirty(): void {
    this.dirty = true;
    if (!this.writing) this.writing = this.writeLoop().finally(() => (this.writing = undefined));
  }

  private async writeLoop(): Promise<void> {
    while (this.dirty && !this.gone) {
      this.dirty = false;
      const { name, namespace } = this.pod.metadata ?? {};
      try {
        await this.deps.core.patchNamespacedPodStatus(
          { name: name ?? '', namespace: namespace ?? 'default', body: { status: this.statusJson() } },
          mergePatch,
        );
      } catch (err) {
        const code = (err as { code?: number }).code;
        this.deps.log(`pod ${this.key}: status update failed: ${err instanceof Error ? err.message : String(err)}`);
        // Gone, or a status the API will never accept: retrying cannot help.
        if (code === 404 || code === 400 || code === 422) return;
        await new Promise((r) => setTimeout(r, 500));
        this.dirty = true;
      }
    }
  }
}
