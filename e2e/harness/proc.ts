// Child processes of the e2e control plane. Every process is started in its
// own process group (detached) with its output appended to a log file, and is
// tracked in a registry so that everything can be torn down on normal exit,
// on a thrown error and on SIGINT/SIGTERM. Every process also carries the
// GOVC_E2E_PLANE_ID marker in its environment, so a sweep over /proc can find
// stragglers (e.g. grandchildren) that escaped their group.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readdirSync, readFileSync } from 'node:fs';

export const PLANE_MARKER = 'GOVC_E2E_PLANE_ID';
/** Pid of the process that started the plane (to find orphans of dead runs). */
export const OWNER_MARKER = 'GOVC_E2E_OWNER_PID';

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exitInfo(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** SIGTERM the whole group, SIGKILL it after graceMs; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  /** Send a signal to the whole process group. */
  signalGroup(sig: NodeJS.Signals): void;
}

const live = new Set<ManagedProcess>();

export interface SpawnOptions {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  env: Record<string, string>;
  cwd?: string;
}

export function spawnManaged(opts: SpawnOptions): ManagedProcess {
  const fd = openSync(opts.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(opts.command, opts.args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: opts.env,
      cwd: opts.cwd,
    });
  } finally {
    closeSync(fd);
  }
  let info: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      info = { code, signal };
      resolve(info);
    });
    child.once('error', () => {
      info ??= { code: 127, signal: null };
      resolve(info);
    });
  });
  // -1 when spawn failed (e.g. ENOENT); 'error' then resolves `exited`.
  const pid = child.pid ?? -1;
  const signalGroup = (sig: NodeJS.Signals): void => {
    if (pid <= 0) return;
    try {
      process.kill(-pid, sig);
    } catch {
      /* group already gone */
    }
  };
  const proc: ManagedProcess = {
    name: opts.name,
    pid,
    logFile: opts.logFile,
    child,
    exited,
    exitInfo: () => info,
    signalGroup,
    async stop(graceMs = 10_000) {
      if (info === undefined) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // The leader is gone; make sure nothing else of its group survives.
      signalGroup('SIGKILL');
      live.delete(proc);
    },
  };
  live.add(proc);
  return proc;
}

/** Kill every tracked process group immediately (synchronous; for exit paths). */
export function killAllSync(): void {
  for (const p of live) {
    p.signalGroup('SIGKILL');
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  live.clear();
}

/** Pids of all processes whose environment carries PLANE_MARKER=id. */
export function findMarkedPids(id: string): number[] {
  const needle = `${PLANE_MARKER}=${id}`;
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ: string;
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue;
    }
    if (!environ.split('\0').includes(needle)) continue;
    // Zombies are dead already and only wait for their parent to reap them.
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') continue;
    } catch {
      continue;
    }
    found.push(pid);
  }
  return found;
}

/**
 * Kill the processes of planes whose owner died without tearing them down
 * (e.g. a test runner killed with SIGKILL); returns the pids it killed.
 */
export function reapOrphans(): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let vars: string[];
    try {
      vars = readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0');
    } catch {
      continue;
    }
    if (!vars.some((v) => v.startsWith(`${PLANE_MARKER}=`))) continue;
    const owner = Number(vars.find((v) => v.startsWith(`${OWNER_MARKER}=`))?.slice(OWNER_MARKER.length + 1));
    if (!Number.isInteger(owner) || owner <= 0 || pidAlive(owner)) continue;
    try {
      process.kill(Number(entry), 'SIGKILL');
      killed.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return killed;
}

/** SIGKILL every process carrying the marker; returns the pids it killed. */
export function sweepMarked(id: string): number[] {
  const pids = findMarkedPids(id);
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return pids;
}

/** True when a process with this pid exists and is not a zombie. */
export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

let hooksInstalled = false;
const exitCallbacks = new Set<() => void>();

/**
 * Install process-wide hooks that kill every tracked group when this process
 * exits or receives SIGINT/SIGTERM/SIGHUP, plus run registered callbacks.
 */
export function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  const runAll = (): void => {
    for (const cb of exitCallbacks) {
      try {
        cb();
      } catch {
        /* best effort */
      }
    }
    killAllSync();
  };
  process.on('exit', runAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      // Another handler (e.g. run-e2e's orderly shutdown) owns this signal;
      // the 'exit' hook above still kills whatever is left when it exits.
      if (process.listenerCount(sig) > 1) return;
      runAll();
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

export function onExitSync(cb: () => void): () => void {
  exitCallbacks.add(cb);
  return () => exitCallbacks.delete(cb);
}
