// Teardown leaves no process behind: a private plane (with a running agent
// pod) is stopped, and every pid it had — etcd, kube-apiserver, controllers,
// the pod's process — is gone, with nothing left carrying its marker.
import test from 'ava';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CoreV1Api } from '@kubernetes/client-node';
import { ControlPlane } from '../harness/control-plane.js';
import type { PlaneState } from '../harness/plane-handle.js';
import { findMarkedPids, pidAlive, reapOrphans } from '../harness/proc.js';
import { waitFor } from '../harness/util.js';
import { agentPod, isReady, waitForPod } from './helpers/k8s.js';

test('stop() leaves no process of the plane behind', async (t) => {
  const plane = await ControlPlane.start({ nodes: [{ name: 'teardown-node', zone: 'zone-t' }] });
  let stopped = false;
  t.teardown(async () => {
    if (!stopped) await plane.stop();
  });
  const kc = plane.handle.adminKubeConfig();
  await kc.makeApiClient(CoreV1Api).createNamespacedPod({ namespace: 'default', body: agentPod('victim', 'default') });
  await waitForPod(kc, 'default', 'victim', 'Ready', isReady);
  const podPid = plane.handle.podPid('default', 'victim', 'agent');
  t.truthy(podPid);
  const pids = { ...plane.pids, pod: podPid ?? 0 };
  t.deepEqual(Object.keys(plane.pids).sort(), ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler']);
  for (const [name, pid] of Object.entries(pids)) t.true(pidAlive(pid), `${name} runs before stop`);
  t.true(findMarkedPids(plane.id).length >= 5);

  const { swept } = await plane.stop();
  stopped = true;
  for (const [name, pid] of Object.entries(pids)) t.false(pidAlive(pid), `${name} (pid ${pid}) is gone`);
  t.deepEqual(findMarkedPids(plane.id), []);
  t.deepEqual(swept, [], 'orderly teardown needed no sweep');
});

test('a plane whose owner was SIGKILLed is reaped by the next start', async (t) => {
  const harness = join(dirname(fileURLToPath(import.meta.url)), '..', 'harness', 'control-plane.js');
  const script = `const m = await import(${JSON.stringify(harness)});
    const p = await m.ControlPlane.start({ full: false });
    console.log(p.stateFile);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const stateFile = await waitFor('owner printed its plane', () => out.includes('plane.json') && out.trim(), { timeoutMs: 120_000 });
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as PlaneState;
  t.teardown(() => rmSync(state.dir, { recursive: true, force: true }));
  const pids = Object.values(state.pids);
  t.is(pids.length, 2, 'etcd and kube-apiserver');

  child.kill('SIGKILL'); // no exit hook can run
  await new Promise((r) => child.once('exit', r));
  for (const pid of pids) t.true(pidAlive(pid), 'orphans survive their owner');
  const reaped = reapOrphans();
  for (const pid of pids) t.true(reaped.includes(pid));
  await waitFor('orphans gone', () => pids.every((pid) => !pidAlive(pid)), { timeoutMs: 10_000 });
  t.deepEqual(findMarkedPids(state.id), []);
});
