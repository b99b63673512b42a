// PROCESS KUBELET pod lifecycle details: graceful deletion (SIGTERM, then
// SIGKILL after the grace period, then the pod object is removed), volume
// paths in env, and CrashLoopBackOff for a container that keeps failing.
import test from 'ava';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { pidAlive } from '../harness/proc.js';
import { waitFor } from '../harness/util.js';
import { createNamespace, waitForPod } from './helpers/k8s.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);

// Ignores SIGTERM (records it in the emptyDir), so only SIGKILL can end it.
const stubborn = `
  const fs = require('node:fs');
  process.on('SIGTERM', () => fs.appendFileSync(process.env.MARK_DIR + '/signals', 'TERM\\n'));
  fs.writeFileSync(process.env.MARK_DIR + '/started', process.env.MY_NAME);
  setInterval(() => {}, 1000);`;

function stubbornPod(name: string, grace: number): V1Pod {
  return {
    metadata: { name },
    spec: {
      terminationGracePeriodSeconds: grace,
      containers: [{
        name: 'main', image: 'node:24', command: ['node', '-e', stubborn],
        env: [
          { name: 'MY_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'MARK_DIR', value: '/scratch' },
        ],
        volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
      }],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    },
  };
}

test('deletion sends SIGTERM, SIGKILLs after the grace period, then removes the pod', async (t) => {
  const p = await plane();
  const kc = p.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = uniqueName('life');
  await createNamespace(kc, ns);
  await core.createNamespacedPod({ namespace: ns, body: stubbornPod('stubborn', 3) });
  const running = await waitForPod(kc, ns, 'stubborn', 'Running', (x) => x.status?.phase === 'Running');
  const uid = running.metadata?.uid ?? '';
  const scratch = join(p.containerLogDir(ns), `stubborn_${uid}`, 'volumes', 'scratch');
  await waitFor('container wrote to its emptyDir', () => existsSync(join(scratch, 'started')));
  t.is(readFileSync(join(scratch, 'started'), 'utf8'), 'stubborn');
  const pid = p.podPid(ns, 'stubborn', 'main') ?? 0;
  t.true(pidAlive(pid));

  const t0 = Date.now();
  await core.deleteNamespacedPod({ name: 'stubborn', namespace: ns });
  await waitFor('pod removed', async () => {
    try {
      await core.readNamespacedPod({ name: 'stubborn', namespace: ns });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 404;
    }
  }, { timeoutMs: 30_000, intervalMs: 100 });
  const took = Date.now() - t0;
  t.true(took >= 2900, `removed after ${took}ms, before the 3s grace period`);
  t.true(took < 15_000, `removed after ${took}ms`);
  t.is(readFileSync(join(scratch, 'signals'), 'utf8'), 'TERM\n', 'SIGTERM came first');
  t.false(pidAlive(pid), 'SIGKILLed after the grace period');
});

test('a container that keeps failing goes into CrashLoopBackOff with growing restarts', async (t) => {
  const p = await plane();
  const kc = p.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = uniqueName('crash');
  await createNamespace(kc, ns);
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'crasher' },
      spec: { containers: [{ name: 'main', image: 'node:24', command: ['node', '-e', 'console.log("boom"); process.exit(7)'] }] },
    },
  });
  const looping = await waitForPod(kc, ns, 'crasher', 'CrashLoopBackOff after 2 restarts', (x) => {
    const cs = x.status?.containerStatuses?.[0];
    return (cs?.restartCount ?? 0) >= 2 && cs?.state?.waiting?.reason === 'CrashLoopBackOff';
  }, 60_000);
  const cs = looping.status?.containerStatuses?.[0];
  t.is(cs?.lastState?.terminated?.exitCode, 7);
  t.is(cs?.lastState?.terminated?.reason, 'Error');
  t.false(cs?.ready);
  t.is(looping.status?.phase, 'Running');
  t.true(looping.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'False'));
  const dir = readdirSync(p.containerLogDir(ns)).find((d) => d.startsWith('crasher_')) ?? '';
  t.regex(readFileSync(join(p.containerLogDir(ns), dir, 'main.log'), 'utf8'), /boom\nboom\nboom/);
  await core.deleteNamespace({ name: ns });
});
