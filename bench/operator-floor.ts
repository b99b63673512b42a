// The API server's floor for the operator benchmark: the least API work a Repository needs to become Ready, done with
// no operator at all — the bench's create, then the operator's finalizer patch (here an annotation patch of the same
// size and kind, so the sample goes with one delete-collection) and its two status patches (Placing, Ready), through the same clients (client-node for creates, the operator's KubeRest for patches) at the same
// concurrency (the bench's create workers feeding the operator's reconcile workers), with one watch on the namespace
// as the operator's informer has. Run on the same plane before the operator starts; its wall time per 1,000 repositories
// is the best the operator's run could reach on this machine, whatever the operator does.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { ControlPlane } from '../e2e/harness/control-plane.js';
import type { RepositoryResource } from '../operator/src/crd/generated-types.js';
import { KubeRest } from '../operator/src/kube/kube-rest.js';
import { InformerRunner } from '../operator/src/runtime/informer-runner.js';
import { makeLogger } from '../operator/src/runtime/logger.js';
import { cpuSeconds } from './servers.js';

const GROUP = { group: 'govc.io', version: 'v1alpha1' };
const MARK = 'govc.io/repository-cleanup';

export interface Floor {
  repositories: number;
  seconds: number;
  /** CPU seconds of each control-plane process (and the bench) during the floor run. */
  cpu: Record<string, number>;
}

const condition = (type: string, status: string, reason: string, message: string) =>
  ({ type, status, reason, message, lastTransitionTime: new Date().toISOString(), observedGeneration: 1 });

const MEMBERS = [0, 1, 2].map((i) => ({ agent: `demo-agent-${i}`, address: `10.0.0.${i + 1}:9090`, role: i === 0 ? 'primary' : 'replica' }));

/** What recordPlacement writes (status of a new placement), then what writeObserved writes once it is Ready. */
function placingStatus() {
  return {
    primary: MEMBERS[0].agent, replicas: [MEMBERS[1].agent, MEMBERS[2].agent], members: MEMBERS, epoch: 1,
    replicationFactor: 3, writeConcern: 'quorum', phase: 'Placing',
    conditions: [condition('Scheduled', 'True', 'Placed', 'primary demo-agent-0, replicas demo-agent-1, demo-agent-2')],
  };
}

function readyStatus() {
  return {
    observedGeneration: 1, phase: 'Ready', inSyncReplicas: [MEMBERS[1].agent, MEMBERS[2].agent], appliedSeq: 0,
    conditions: [
      condition('Scheduled', 'True', 'Placed', '3 copies placed'),
      condition('Ready', 'True', 'PrimaryServing', 'primary demo-agent-0 serves epoch 1'),
      condition('Replicated', 'True', 'FullyReplicated', '3 copies in sync'),
    ],
  };
}

export async function measureFloor(
  plane: ControlPlane, kc: KubeConfig, n: number, namespace: string, concurrency: { create: number; workers: number },
  log: (m: string) => void,
): Promise<Floor> {
  const kubectl = async (args: string[]) => {
    const r = await plane.handle.kubectl(args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  };
  await kubectl(['create', 'namespace', namespace]);
  const api = kc.makeApiClient(CustomObjectsApi);
  const rest = new KubeRest(kc);
  const path = (name: string) => `/apis/govc.io/v1alpha1/namespaces/${namespace}/repositories/${name}`;
  const watch = new InformerRunner<RepositoryResource>(kc, {
    name: 'bench-floor', path: `/apis/govc.io/v1alpha1/namespaces/${namespace}/repositories`, log: makeLogger('warn'),
    list: async () => (await api.listNamespacedCustomObject({ ...GROUP, plural: 'repositories', namespace })) as { items: RepositoryResource[] },
    onChange: () => undefined,
  });
  await watch.start();
  const pids: Record<string, number> = { ...plane.pids, bench: process.pid };
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  const t0 = Date.now();

  // Created objects queue up for the "reconcile" workers, as the operator's work queue has them.
  const queue: RepositoryResource[] = [];
  const waiting: Array<() => void> = [];
  const wake = () => {
    for (const w of waiting.splice(0)) w();
  };
  let created = 0;
  let creating = true;
  const creators = Promise.all(Array.from({ length: concurrency.create }, async () => {
    while (created < n) {
      const name = `floor-${created++}`;
      queue.push((await api.createNamespacedCustomObject({
        ...GROUP, plural: 'repositories', namespace,
        body: { apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace }, spec: { clusterRef: 'demo' } },
      })) as RepositoryResource);
      wake();
    }
  })).finally(() => {
    creating = false;
    wake();
  });
  const workers = Promise.all(Array.from({ length: concurrency.workers }, async () => {
    for (;;) {
      const r = queue.shift();
      if (!r) {
        if (!creating) return;
        await new Promise<void>((res) => waiting.push(res));
        continue;
      }
      const name = r.metadata.name!;
      const f = await rest.mergePatch<RepositoryResource>(path(name), { metadata: { annotations: { [MARK]: 'true' }, resourceVersion: r.metadata.resourceVersion } });
      const p = await rest.mergePatch<RepositoryResource>(`${path(name)}/status`, { metadata: { resourceVersion: f.metadata.resourceVersion }, status: placingStatus() });
      await rest.mergePatch(`${path(name)}/status`, { metadata: { resourceVersion: p.metadata.resourceVersion }, status: readyStatus() });
    }
  }));
  await creators;
  await workers;
  const seconds = (Date.now() - t0) / 1000;
  const cpu = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid) - cpu0[k]]));
  await watch.stop();

  // Not timed: take the sample away so the operator never sees it.
  const t1 = Date.now();
  await api.deleteCollectionNamespacedCustomObject({ ...GROUP, plural: 'repositories', namespace });
  rest.close();
  log(`floor sample deleted in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
  return { repositories: n, seconds, cpu };
}
