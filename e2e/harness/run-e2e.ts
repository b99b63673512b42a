// `make e2e` entry: bring the real control plane up, run every e2e test file
// against it (ava, serially; tests find the plane through GOVC_E2E_PLANE),
// then bring it down and check that no process of the plane is left.
// Usage: node dist/e2e/harness/run-e2e.js [extra ava args]
//        node dist/e2e/harness/run-e2e.js --up   (start the plane and wait for Ctrl-C)
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ControlPlane } from './control-plane.js';
import { repoRoot } from './paths.js';
import { findMarkedPids, pidAlive } from './proc.js';

const log = (m: string): void => console.log(`[e2e] ${m}`);

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const t0 = Date.now();
  log('starting control plane');
  const plane = await ControlPlane.start({ log });
  log(`control plane up in ${((Date.now() - t0) / 1000).toFixed(1)}s; dir ${plane.dir}`);
  log(`kubectl: ${plane.bins.kubectl} --kubeconfig ${plane.handle.kubeconfigPath}`);

  let code: number;
  if (args[0] === '--up') {
    log('plane is up; press Ctrl-C to stop');
    code = await new Promise<number>((resolve) => {
      process.on('SIGINT', () => resolve(0));
      process.on('SIGTERM', () => resolve(0));
    });
  } else {
    const ava = join(repoRoot, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
    const child = spawn(process.execPath, [ava, '--config', 'e2e/ava.config.mjs', ...args], {
      cwd: repoRoot,
      stdio: 'inherit',
      env: { ...process.env, GOVC_E2E_PLANE: plane.stateFile },
    });
    // First signal: let ava stop, then tear down in order. Second: exit now
    // (the exit hook SIGKILLs every process group of the plane).
    let signalled = false;
    const forward = (sig: NodeJS.Signals) => () => {
      if (signalled) process.exit(130);
      signalled = true;
      log(`${sig}: stopping tests, then the plane`);
      child.kill(sig);
    };
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    code = await new Promise<number>((resolve) => child.once('exit', (c, s) => resolve(c ?? (s ? 1 : 0))));
  }

  log('stopping control plane');
  const pids = plane.pids;
  const { swept } = await plane.stop({ keepDir: code !== 0 });
  const alive = Object.entries(pids).filter(([, pid]) => pidAlive(pid));
  const marked = findMarkedPids(plane.id);
  if (swept.length > 0) log(`teardown had to SIGKILL stragglers: ${swept.join(', ')}`);
  if (alive.length > 0 || marked.length > 0) {
    log(`teardown left processes behind: ${JSON.stringify({ alive, marked })}`);
    return code || 1;
  }
  log(`teardown complete, no process left (${Object.keys(pids).join(', ')})`);
  if (code !== 0) log(`tests failed; logs kept in ${plane.dir}`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('[e2e] failed:', err);
    process.exit(1);
  },
);
