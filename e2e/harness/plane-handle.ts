// What a test sees of a running plane. A PlaneHandle is built from the plane's
// state file (plane.json), so tests can run in another process than the one
// that started the plane (e.g. ava workers under run-e2e.js).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { kubeConfigFor, type KubeconfigSpec } from './kubeconfig.js';
import { readPid } from './process-kubelet/pid-files.js';

export interface PlaneState {
  id: string;
  dir: string;
  server: string;
  caFile: string;
  kubeconfig: string;
  admin: KubeconfigSpec;
  kubectl: string;
  kubeletDir: string;
  nodes: Array<{ name: string; zone: string }>;
  pids: Record<string, number>;
}

export const STATE_FILE = 'plane.json';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class PlaneHandle {
  constructor(readonly state: PlaneState) {}

  static fromFile(path: string): PlaneHandle {
    return new PlaneHandle(JSON.parse(readFileSync(path, 'utf8')) as PlaneState);
  }

  get dir(): string {
    return this.state.dir;
  }

  get kubeconfigPath(): string {
    return this.state.kubeconfig;
  }

  /** An admin (system:masters) client configuration. */
  adminKubeConfig(): KubeConfig {
    return kubeConfigFor(this.state.admin);
  }

  /** Run the plane's own (version-matched) kubectl with the admin kubeconfig. */
  async kubectl(args: string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<KubectlResult> {
    return await new Promise((resolve) => {
      const child = execFile(
        this.state.kubectl,
        ['--kubeconfig', opts.kubeconfig ?? this.state.kubeconfig, ...args],
        { maxBuffer: 16 * 1024 * 1024, timeout: 120_000 },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      if (opts.input !== undefined) child.stdin?.end(opts.input);
      else child.stdin?.end();
    });
  }

  /** PROCESS KUBELET: the OS pid behind a running container of a pod. */
  podPid(namespace: string, pod: string, container: string): number | undefined {
    return readPid(this.state.kubeletDir, namespace, pod, container);
  }

  /** PROCESS KUBELET: send a signal (SIGKILL, SIGSTOP, SIGCONT, ...) to a container's process. */
  signalPod(namespace: string, pod: string, container: string, signal: NodeJS.Signals): number {
    const pid = this.podPid(namespace, pod, container);
    if (pid === undefined) throw new Error(`no running process for ${namespace}/${pod}/${container}`);
    process.kill(pid, signal);
    return pid;
  }

  /** PROCESS KUBELET: the directory holding <pod>_<uid>/ dirs (logs, volumes) of a namespace. */
  containerLogDir(namespace: string): string {
    return join(this.state.kubeletDir, 'pods', namespace);
  }

  /** PROCESS KUBELET: a container's stdout+stderr so far (all its runs), or '' if none yet. */
  containerLog(namespace: string, pod: string, container: string): string {
    const dir = this.containerLogDir(namespace);
    if (!existsSync(dir)) return '';
    return readdirSync(dir)
      .filter((d) => d.startsWith(`${pod}_`))
      .map((d) => join(dir, d, `${container}.log`))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('');
  }
}
