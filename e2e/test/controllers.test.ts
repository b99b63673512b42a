// kube-controller-manager and kube-scheduler really run: a Deployment gets
// its ReplicaSet and Pods scheduled to process-kubelet nodes, deleting it
// garbage-collects them, and deleting a namespace empties and removes it.
import test from 'ava';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { waitFor } from '../harness/util.js';
import { agentPod, createNamespace, isReady } from './helpers/k8s.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);

test('Deployment spreads over zones; garbage collector and namespace controller clean up', async (t) => {
  const p = await plane();
  const kc = p.adminKubeConfig();
  const core = kc.makeApiClient(CoreV1Api);
  const apps = kc.makeApiClient(AppsV1Api);
  const ns = uniqueName('ctrl');
  await createNamespace(kc, ns);
  const template = agentPod('unused', ns, {
    topologySpreadConstraints: [{
      maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'DoNotSchedule',
      labelSelector: { matchLabels: { app: 'govc-agent' } },
    }],
  });
  await apps.createNamespacedDeployment({
    namespace: ns,
    body: {
      metadata: { name: 'agents' },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'govc-agent' } },
        template: { metadata: { labels: { app: 'govc-agent' } }, spec: template.spec },
      },
    },
  });
  const pods = await waitFor('3 ready agent pods', async () => {
    const list = (await core.listNamespacedPod({ namespace: ns })).items;
    return list.length === 3 && list.every(isReady) ? list : false;
  }, { timeoutMs: 120_000 });
  const nodes = (await core.listNode()).items;
  const zoneOf = new Map(nodes.map((n) => [n.metadata?.name, n.metadata?.labels?.['topology.kubernetes.io/zone']]));
  t.is(new Set(pods.map((x) => zoneOf.get(x.spec?.nodeName))).size, 3, 'one pod per zone');
  t.is(new Set(pods.map((x) => x.status?.podIP)).size, 3, 'distinct pod IPs');

  // Garbage collector: deleting the Deployment (background) removes ReplicaSet and Pods.
  await apps.deleteNamespacedDeployment({ name: 'agents', namespace: ns, propagationPolicy: 'Background' });
  await waitFor('ReplicaSets and Pods garbage-collected', async () => {
    const rs = (await apps.listNamespacedReplicaSet({ namespace: ns })).items;
    const po = (await core.listNamespacedPod({ namespace: ns })).items;
    return rs.length === 0 && po.length === 0;
  }, { timeoutMs: 90_000 });
  t.pass();

  // Namespace controller: the namespace empties and disappears.
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'leftover' } } });
  await core.deleteNamespace({ name: ns });
  await waitFor('namespace removed', async () => {
    try {
      await core.readNamespace({ name: ns });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 404;
    }
  }, { timeoutMs: 90_000 });
});
