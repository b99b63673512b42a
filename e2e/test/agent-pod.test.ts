// A Pod running the real agent image (govc/agent:* -> node dist/agent/src/main.js
// under the PROCESS KUBELET) becomes Running and Ready, answers on its pod IP,
// and a kill -9 / SIGSTOP of its process shows in the pod's status.
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { httpGet } from '../harness/http.js';
import { repoRoot } from '../harness/paths.js';
import { pidAlive } from '../harness/proc.js';
import { waitFor } from '../harness/util.js';
import { agentPod, createNamespace, isNotReady, isReady, waitForPod } from './helpers/k8s.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);

test.before(() => {
  if (!existsSync(join(repoRoot, 'dist/agent/src/main.js'))) throw new Error('build the agent first (npm run build)');
});

test('three process-kubelet nodes in distinct zones are Ready', async (t) => {
  const kc = (await plane()).adminKubeConfig();
  const nodes = (await kc.makeApiClient(CoreV1Api).listNode()).items;
  const zones = nodes.map((n) => n.metadata?.labels?.['topology.kubernetes.io/zone']);
  t.true(nodes.length >= 3);
  t.is(new Set(zones).size, nodes.length, `zones: ${zones.join(',')}`);
  for (const n of nodes) {
    t.true(n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'), n.metadata?.name);
  }
});

test('agent pod: Running, Ready, serves on its pod IP, survives kill -9, deletion stops it', async (t) => {
  const p = await plane();
  const kc = p.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = uniqueName('agent');
  await createNamespace(kc, ns);
  await core.createNamespacedPod({ namespace: ns, body: agentPod('agent-0', ns) });

  const ready = await waitForPod(kc, ns, 'agent-0', 'Running and Ready', isReady);
  const podIP = ready.status?.podIP ?? '';
  t.regex(podIP, /^127\.\d+\.\d+\.\d+$/);
  t.truthy(ready.spec?.nodeName);
  const cs = ready.status?.containerStatuses?.[0];
  t.is(cs?.restartCount, 0);
  t.truthy(cs?.state?.running);
  for (const type of ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready']) {
    t.true(ready.status?.conditions?.some((c) => c.type === type && c.status === 'True'), type);
  }

  const health = await httpGet(`http://${podIP}:8080/healthz`);
  t.is(health.status, 200);
  // The env the pod spec asked for reached the process ($(POD_IP) expanded).
  const pid = p.podPid(ns, 'agent-0', 'agent');
  t.truthy(pid);
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  t.true(environ.includes(`GOVC_HTTP_ADDR=${podIP}:8080`));
  t.true(environ.includes('POD_NAME=agent-0'));
  t.true(environ.includes(`POD_NAMESPACE=${ns}`));
  t.false(environ.includes('GOVC_DATA_DIR=/var/lib/govc'), 'mount path rewritten to the emptyDir');

  // kill -9: the status shows the crash and the restart.
  p.signalPod(ns, 'agent-0', 'agent', 'SIGKILL');
  const restarted = await waitForPod(kc, ns, 'agent-0', 'restarted after SIGKILL', (x) =>
    (x.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  const last = restarted.status?.containerStatuses?.[0]?.lastState?.terminated;
  t.is(last?.exitCode, 137);
  t.is(last?.signal, 9);
  t.is(last?.reason, 'Error');
  const again = await waitForPod(kc, ns, 'agent-0', 'Ready again', isReady);
  t.is(again.status?.containerStatuses?.[0]?.restartCount, 1);
  const pid2 = p.podPid(ns, 'agent-0', 'agent');
  t.truthy(pid2);
  t.not(pid2, pid);
  t.false(pidAlive(pid ?? 0));
  t.is((await httpGet(`http://${podIP}:8080/healthz`)).status, 200);

  // SIGSTOP: readiness probe fails -> not ready; SIGCONT -> ready again, no restart.
  p.signalPod(ns, 'agent-0', 'agent', 'SIGSTOP');
  await waitForPod(kc, ns, 'agent-0', 'not Ready while stopped', isNotReady, 30_000);
  p.signalPod(ns, 'agent-0', 'agent', 'SIGCONT');
  const cont = await waitForPod(kc, ns, 'agent-0', 'Ready after SIGCONT', isReady, 30_000);
  t.is(cont.status?.containerStatuses?.[0]?.restartCount, 1);

  // Container logs (both runs) go to a file under the plane's directory.
  t.is(p.containerLog(ns, 'agent-0', 'agent').match(/listening/g)?.length, 2, 'one start line per run');

  // Deleting the pod: SIGTERM, the process exits, the pod object disappears.
  await core.deleteNamespacedPod({ name: 'agent-0', namespace: ns });
  await waitFor('pod object removed', async () => {
    try {
      await core.readNamespacedPod({ name: 'agent-0', namespace: ns });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 404;
    }
  }, { timeoutMs: 30_000 });
  t.false(pidAlive(pid2 ?? 0));
});

test('restartPolicy Never: a failing container ends the pod Failed with its exit code', async (t) => {
  const p = await plane();
  const kc = p.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const ns = uniqueName('never');
  await createNamespace(kc, ns);
  await core.createNamespacedPod({
    namespace: ns,
    body: {
      metadata: { name: 'fail' },
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'main', image: 'node:24', command: ['node', '-e', 'process.exit(3)'] }],
      },
    },
  });
  const failed = await waitForPod(kc, ns, 'fail', 'Failed', (x) => x.status?.phase === 'Failed');
  const term = failed.status?.containerStatuses?.[0]?.state?.terminated;
  t.is(term?.exitCode, 3);
  t.is(failed.status?.containerStatuses?.[0]?.restartCount, 0);
});
