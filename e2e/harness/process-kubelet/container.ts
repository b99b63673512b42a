// PROCESS KUBELET (test stand-in): one container of a pod, run as a local
// process in its own process group. Tracks the container state
// (waiting/running/terminated), readiness/liveness probes, the restart count
// and restarts per the pod's restartPolicy with exponential back-off.
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { spawnManaged, type ManagedProcess } from '../proc.js';
import { buildEnv, type EnvContext } from './env.js';
import { expandVars, resolveImage, type ImageMap } from './images.js';
import { removePid, writePid } from './pid-files.js';
import { ProbeLoop } from './probes.js';
import { pathRewriter } from './volumes.js';

/** Container state as it appears in the Pod status JSON. */
export type StateJson =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: TerminatedJson };

export interface TerminatedJson {
  exitCode: number;
  signal?: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export interface BackoffConfig {
  initialMs: number;
  maxMs: number;
  /** A run at least this long resets the back-off. */
  resetAfterMs: number;
}

export interface ContainerDeps {
  pod: () => V1Pod;
  podDir: string;
  kubeletDir: string;
  envCtx: EnvContext;
  imageMap: ImageMap;
  volumeDirs: Map<string, string>;
  backoff: BackoffConfig;
  onUpdate: () => void;
  log: (msg: string) => void;
}

export const isoNow = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

export class ContainerRunner {
  state: StateJson = { waiting: { reason: 'ContainerCreating' } };
  lastState: StateJson | undefined;
  restartCount = 0;
  ready = false;
  started = false;
  /** True once the container has been started at least once. */
  everStarted = false;
  /** True when the container will not run again (per restartPolicy). */
  finished = false;
  private proc: ManagedProcess | undefined;
  private containerID = '';
  private startedAtMs = 0;
  private probes: ProbeLoop[] = [];
  private backoffMs: number;
  private backoffTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private livenessKill = false;

  constructor(readonly spec: V1Container, private readonly deps: ContainerDeps) {
    this.backoffMs = deps.backoff.initialMs;
  }

  get pid(): number | undefined {
    return this.proc && !this.proc.exitInfo() ? this.proc.pid : undefined;
  }

  private get podMeta(): { ns: string; name: string } {
    const m = this.deps.pod().metadata;
    return { ns: m?.namespace ?? 'default', name: m?.name ?? '' };
  }

  async start(): Promise<void> {
    if (this.stopping) return;
    const entry = resolveImage(this.deps.imageMap, this.spec.image ?? '');
    if (!entry) {
      this.state = { waiting: { reason: 'ErrImagePull', message: `process kubelet: no local command for image ${this.spec.image}` } };
      this.finished = true;
      this.deps.onUpdate();
      return;
    }
    let env: Record<string, string>;
    try {
      env = await buildEnv(this.deps.pod(), this.spec, this.deps.envCtx);
    } catch (err) {
      this.state = { waiting: { reason: 'CreateContainerConfigError', message: err instanceof Error ? err.message : String(err) } };
      this.deps.onUpdate();
      this.scheduleRestart();
      return;
    }
    if (this.stopping) return;
    const rewrite = pathRewriter(this.spec, this.deps.volumeDirs);
    for (const k of Object.keys(env)) env[k] = rewrite(env[k]);
    const cmd = this.spec.command?.length ? this.spec.command.map((s) => rewrite(expandVars(s, env))) : entry;
    const args = (this.spec.args ?? []).map((s) => rewrite(expandVars(s, env)));
    const { ns, name } = this.podMeta;
    const proc = spawnManaged({
      name: `${ns}/${name}/${this.spec.name}`,
      command: cmd[0],
      args: [...cmd.slice(1), ...args],
      logFile: join(this.deps.podDir, `${this.spec.name}.log`),
      env,
      cwd: this.spec.workingDir ? rewrite(this.spec.workingDir) : this.deps.podDir,
    });
    this.proc = proc;
    this.startedAtMs = Date.now();
    this.containerID = `process://${proc.pid}`;
    this.everStarted = true;
    this.started = true;
    this.livenessKill = false;
    this.state = { running: { startedAt: isoNow() } };
    writePid(this.deps.kubeletDir, ns, name, this.spec.name, proc.pid);
    this.deps.log(`container ${ns}/${name}/${this.spec.name} started: pid ${proc.pid}, restartCount ${this.restartCount}`);
    void proc.exited.then((info) => this.onExit(proc, info.code, info.signal));
    this.startProbes();
    this.deps.onUpdate();
  }

  private startProbes(): void {
    const podIP = this.deps.envCtx.podIP;
    if (this.spec.readinessProbe) {
      const loop = new ProbeLoop(this.spec.readinessProbe, this.spec, podIP, (ok) => {
        this.ready = ok;
        this.deps.onUpdate();
      });
      this.probes.push(loop);
      loop.start();
    } else {
      this.ready = true;
    }
    if (this.spec.livenessProbe) {
      const loop = new ProbeLoop(this.spec.livenessProbe, this.spec, podIP, (ok, message) => {
        if (!ok) {
          this.deps.log(`container ${this.podMeta.ns}/${this.podMeta.name}/${this.spec.name} failed liveness: ${message}`);
          void this.killForLiveness();
        }
      });
      this.probes.push(loop);
      loop.start();
    }
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private async killForLiveness(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitInfo()) return;
    this.livenessKill = true;
    const pod = this.deps.pod();
    const grace = this.spec.livenessProbe?.terminationGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    await proc.stop(grace * 1000);
  }

  private onExit(proc: ManagedProcess, code: number | null, signal: NodeJS.Signals | null): void {
    const { ns, name } = this.podMeta;
    this.deps.log(`container ${ns}/${name}/${this.spec.name} exited: pid ${proc.pid}, code ${code}, signal ${signal}`);
    removePid(this.deps.kubeletDir, ns, name, this.spec.name, proc.pid);
    proc.signalGroup('SIGKILL'); // nothing of the container outlives its main process
    void proc.stop(0);
    this.stopProbes();
    this.ready = false;
    this.started = false;
    const signum = signal ? osConstants.signals[signal] : undefined;
    const exitCode = code ?? 128 + (signum ?? 0);
    const terminated: TerminatedJson = {
      exitCode,
      reason: exitCode === 0 ? 'Completed' : 'Error',
      startedAt: new Date(this.startedAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      finishedAt: isoNow(),
      containerID: this.containerID,
    };
    if (signum !== undefined) {
      terminated.signal = signum;
      terminated.message = `process kubelet: container process killed by ${signal}`;
    }
    if (this.livenessKill) terminated.message = 'process kubelet: container failed liveness probe, will be restarted';
    this.state = { terminated };
    const policy = this.deps.pod().spec?.restartPolicy ?? 'Always';
    const restart = !this.stopping && (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0));
    if (!restart) {
      this.finished = true;
      this.deps.onUpdate();
      return;
    }
    if (Date.now() - this.startedAtMs >= this.deps.backoff.resetAfterMs) this.backoffMs = this.deps.backoff.initialMs;
    this.lastState = { terminated };
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    if (this.stopping) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.deps.backoff.maxMs);
    if ('terminated' in this.state) {
      this.state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${this.spec.name} pod=${this.podMeta.name}`,
        },
      };
    }
    this.deps.onUpdate();
    this.backoffTimer = setTimeout(() => {
      this.backoffTimer = undefined;
      if (this.stopping) return;
      if (this.everStarted) this.restartCount++;
      void this.start();
    }, delay);
  }

  /** Stop for good: SIGTERM the process group, SIGKILL after graceSeconds. */
  async stop(graceSeconds: number): Promise<void> {
    this.stopping = true;
    if (this.backoffTimer) clearTimeout(this.backoffTimer);
    this.stopProbes();
    if (this.proc && !this.proc.exitInfo()) await this.proc.stop(graceSeconds * 1000);
    this.finished = true;
  }

  statusJson(): Record<string, unknown> {
    const s: Record<string, unknown> = {
      name: this.spec.name,
      image: this.spec.image,
      imageID: `process://${this.spec.image}`,
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      state: this.state,
    };
    if (this.containerID) s.containerID = this.containerID;
    if (this.lastState) s.lastState = this.lastState;
    return s;
  }
}
