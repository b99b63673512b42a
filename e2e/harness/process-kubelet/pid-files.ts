// PROCESS KUBELET (test stand-in): where the kubelet records the OS pid behind
// each running container, so that tests (possibly in another process) can
// find a pod's process and kill -9 / SIGSTOP / SIGCONT it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function pidFile(kubeletDir: string, namespace: string, pod: string, container: string): string {
  return join(kubeletDir, 'pids', namespace, pod, `${container}.pid`);
}

export function writePid(kubeletDir: string, namespace: string, pod: string, container: string, pid: number): void {
  const f = pidFile(kubeletDir, namespace, pod, container);
  mkdirSync(join(f, '..'), { recursive: true });
  writeFileSync(f, `${pid}\n`);
}

export function removePid(kubeletDir: string, namespace: string, pod: string, container: string, pid: number): void {
  const f = pidFile(kubeletDir, namespace, pod, container);
  try {
    if (readFileSync(f, 'utf8').trim() === String(pid)) rmSync(f);
  } catch {
    /* absent */
  }
}

/** The pid of a running container, or undefined when it is not running. */
export function readPid(kubeletDir: string, namespace: string, pod: string, container: string): number | undefined {
  try {
    const n = Number(readFileSync(pidFile(kubeletDir, namespace, pod, container), 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
