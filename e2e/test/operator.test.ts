// The operator on the real plane, installed from manifests/ (two replicas under their own ServiceAccount and exactly
// that RBAC): the sample GovcCluster gets three agents in three zones; Repositories are placed on a primary and two
// replicas in distinct zones and become Ready; a commit on the primary reads back from every replica; deleting a
// Repository removes it from its agents; an agent without a copy forwards along the routes the operator publishes;
// invalid specs are refused; killing the leader hands over the Lease; scaling the cluster adds a Ready agent.
import test from 'ava';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import type { RepositoryResource } from '../../operator/src/crd/generated-types.js';
import type { PlaneHandle } from '../harness/plane-handle.js';
import { waitFor } from '../harness/util.js';
import { createNamespace, isReady } from './helpers/k8s.js';
import {
  OPERATOR_NS, agentAdmin, getCluster, installOperator, leaseHolder, listRepositories, manifestsDir, repoReady, uninstallOperator,
} from './helpers/operator.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);
const REPOS = Number(process.env.GOVC_E2E_OPERATOR_REPOS || 50);
const ns = uniqueName('govc');
let p: PlaneHandle;
let kc: KubeConfig;

const repoManifest = (name: string, spec: Record<string, unknown> = {}) =>
  ({ apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: ns }, spec: { clusterRef: 'demo', ...spec } });

async function apply(objects: object[]): Promise<void> {
  const r = await p.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

async function readyRepositories(names: string[], timeoutMs: number): Promise<RepositoryResource[]> {
  const want = new Set(names);
  return waitFor(`${names.length} repositories Ready`, async () => {
    const repos = (await listRepositories(kc, ns)).filter((r) => want.has(r.metadata.name!));
    return repos.length === want.size && repos.every(repoReady) ? repos : false;
  }, { timeoutMs, intervalMs: 1000 });
}

test.before(async () => {
  p = await plane();
  kc = p.adminKubeConfig();
  await installOperator(p);
  await createNamespace(kc, ns);
  const r = await p.kubectl(['apply', '-n', ns, '-f', join(manifestsDir, 'samples')]);
  if (r.code !== 0) throw new Error(r.stderr);
});

test.after.always(async () => {
  if (!p) return;
  // Repositories first, while the operator still runs their finalizers; then the cluster, then the operator.
  await p.kubectl(['delete', 'repositories', '--all', '-n', ns, '--timeout=60s']);
  await p.kubectl(['delete', 'namespace', ns, '--timeout=90s']);
  await uninstallOperator(p);
});

test.serial('the sample GovcCluster runs three Ready agents in three zones', async (t) => {
  const cluster = await waitFor('cluster with 3 ready agents', async () => {
    const c = await getCluster(kc, ns, 'demo');
    return c.status?.readyAgents === 3 ? c : false;
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  const agents = cluster.status?.agentStatuses ?? [];
  t.is(agents.length, 3);
  t.is(new Set(agents.map((a) => a.zone)).size, 3, JSON.stringify(agents));
  t.true(agents.every((a) => a.ready && /^127\./.test(a.ip ?? '')));
  t.is(cluster.status?.selector, 'app.kubernetes.io/name=govc-agent,govc.io/cluster=demo');
  const core = kc.makeApiClient(CoreV1Api);
  const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'govc.io/cluster=demo' })).items;
  t.is(pods.filter(isReady).length, 3);
  t.true(pods.every((pod) => pod.metadata?.ownerReferences?.[0]?.kind === 'GovcCluster'));
  const services = (await core.listNamespacedService({ namespace: ns })).items.map((s) => s.metadata?.name).sort();
  t.deepEqual(services, ['demo', 'demo-agents']);
  const get = await p.kubectl(['get', 'govcclusters', '-n', ns]);
  t.regex(get.stdout, /NAME\s+AGENTS\s+READY\s+REPOSITORIES\s+PHASE\s+AGE/);
});

test.serial(`${REPOS} repositories: Ready with a primary and two replicas on distinct agents and zones`, async (t) => {
  const names = Array.from({ length: REPOS }, (_, i) => `bulk-${i}`);
  const started = Date.now();
  await apply(names.map((n) => repoManifest(n)));
  const repos = await readyRepositories([...names, 'website', 'docs'], 180_000);
  t.log(`${names.length} repositories Ready in ${Date.now() - started} ms`);
  const cluster = await getCluster(kc, ns, 'demo');
  const zoneOf = new Map((cluster.status?.agentStatuses ?? []).map((a) => [a.pod, a.zone]));
  for (const r of repos) {
    const copies = [r.status!.primary!, ...(r.status!.replicas ?? [])];
    t.is(copies.length, 3, r.metadata.name);
    t.is(new Set(copies).size, 3);
    t.is(new Set(copies.map((c) => zoneOf.get(c))).size, 3);
    t.deepEqual([...(r.status!.inSyncReplicas ?? [])].sort(), [...r.status!.replicas!].sort());
    t.true((r.status!.epoch ?? 0) >= 1);
  }
  const primaries = new Map<string, number>();
  for (const r of repos) primaries.set(r.status!.primary!, (primaries.get(r.status!.primary!) ?? 0) + 1);
  t.is(primaries.size, 3, `primaries spread: ${JSON.stringify([...primaries])}`);
});

test.serial('a commit through the primary pod IP reads back from every replica (X-Govc-Seq)', async (t) => {
  const [repo] = await readyRepositories(['website'], 60_000);
  const ipOf = new Map(((await getCluster(kc, ns, 'demo')).status?.agentStatuses ?? []).map((a) => [a.pod, a.ip]));
  const res = await fetch(`http://${ipOf.get(repo.status!.primary!)}:8080/api/v1/repos/website/commits`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ branch: 'main', message: 'hello', author: { name: 'Ada', email: 'ada@example.com' }, files: [{ path: 'README.md', content: '# website\n' }] }),
  });
  t.is(res.status, 201, await res.clone().text());
  const seq = res.headers.get('x-govc-seq') ?? '';
  t.truthy(seq);
  for (const replica of repo.status!.replicas!) {
    const read = await fetch(`http://${ipOf.get(replica)}:8080/api/v1/repos/website/files/README.md`, { headers: { 'x-govc-seq': seq } });
    t.is(read.status, 200);
    t.is(await read.text(), '# website\n');
    t.is(read.headers.get('x-govc-served-by'), `${ipOf.get(replica)}:9090`, 'served by the replica itself');
  }
  const withHead = await waitFor('status.head', async () => (await listRepositories(kc, ns)).find((r) => r.metadata.name === 'website' && r.status?.head), { timeoutMs: 60_000 });
  t.regex(withHead.status!.head!, /^[0-9a-f]{40}$/);
});

test.serial('an agent that holds no copy forwards to the primary the operator routed (Admin.SetRoutes)', async (t) => {
  await apply([repoManifest('routed', { replicationFactor: 1, writeConcern: 'async' })]);
  const [repo] = await readyRepositories(['routed'], 60_000);
  t.deepEqual(repo.status!.replicas ?? [], []);
  const ipOf = new Map(((await getCluster(kc, ns, 'demo')).status?.agentStatuses ?? []).map((a) => [a.pod, a.ip]));
  const others = [...ipOf.keys()].filter((a) => a !== repo.status!.primary);
  t.is(others.length, 2);
  const body = JSON.stringify({ branch: 'main', message: 'routed', author: { name: 'Ada', email: 'ada@example.com' }, files: [{ path: 'a.txt', content: 'routed\n' }] });
  // Routes follow the Ready status through the cluster reconcile: allow it a moment.
  const res = await waitFor('commit forwarded by a non-member', async () => {
    const r = await fetch(`http://${ipOf.get(others[0])}:8080/api/v1/repos/routed/commits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    return r.status === 404 ? false : r;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  t.is(res.status, 201, await res.clone().text());
  t.is(res.headers.get('x-govc-served-by'), `${ipOf.get(repo.status!.primary!)}:9090`, 'answered by the primary');
  const read = await waitFor('read through the other non-member', async () => {
    const r = await fetch(`http://${ipOf.get(others[1])}:8080/api/v1/repos/routed/files/a.txt`);
    return r.status === 404 ? false : r;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  t.is(read.status, 200);
  t.is(await read.text(), 'routed\n');
  // Done: nothing draining any more, and Progressing says so once the moves are over.
  const settledStatus = await waitFor('cluster status settled after the drain', async () => {
    const s = (await getCluster(kc, ns, 'demo')).status;
    return s && (s.drainingAgents ?? []).length === 0 && s.conditions?.find((c) => c.type === 'Progressing')?.status === 'False' ? s : false;
  }, { timeoutMs: 60_000, intervalMs: 500 });
  t.false((settledStatus.agentStatuses ?? []).some((a) => a.draining), JSON.stringify(settledStatus.agentStatuses));
  t.is(settledStatus.movingRepositories ?? 0, 0);
});

test.serial('kubectl get repositories shows the printer columns', async (t) => {
  const r = await p.kubectl(['get', 'repositories', '-n', ns, 'website']);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /NAME\s+CLUSTER\s+PRIMARY\s+REPLICAS\s+EPOCH\s+READY\s+AGE/);
  t.regex(r.stdout, /website\s+demo\s+demo-agent-\d\s+\S*demo-agent-\d\S*\s+\d+\s+True\s+/);
  const byCategory = await p.kubectl(['get', 'govc', '-n', ns, '-o', 'name']);
  t.regex(byCategory.stdout, /govccluster\.govc\.io\/demo/);
  t.regex(byCategory.stdout, /repository\.govc\.io\/website/);
});

test.serial('invalid specs are rejected with a readable message', async (t) => {
  const bad = await p.kubectl(['apply', '-f', '-'], { input: JSON.stringify(repoManifest('bad', { replicationFactor: 0, deletionPolicy: 'Maybe' })) });
  t.not(bad.code, 0);
  t.regex(bad.stderr, /spec\.replicationFactor: Invalid value: 0: spec\.replicationFactor in body should be greater than or equal to 1/);
  t.regex(bad.stderr, /spec\.deletionPolicy: Unsupported value: "Maybe": supported values: "Delete", "Retain"/);
  const move = await p.kubectl(['patch', 'repository', 'website', '-n', ns, '--type=merge', '-p', '{"spec":{"clusterRef":"other"}}']);
  t.not(move.code, 0);
  t.regex(move.stderr, /clusterRef is immutable/);
  const scaling = await p.kubectl(['patch', 'govccluster', 'demo', '-n', ns, '--type=merge', '-p', '{"spec":{"autoscaling":{"minAgents":5,"maxAgents":2}}}']);
  t.not(scaling.code, 0);
  t.regex(scaling.stderr, /autoscaling\.minAgents must be less than or equal to autoscaling\.maxAgents/);
});

test.serial('deleting a Repository removes it from its agents', async (t) => {
  const [repo] = await readyRepositories(['bulk-0'], 60_000);
  const ipOf = new Map(((await getCluster(kc, ns, 'demo')).status?.agentStatuses ?? []).map((a) => [a.pod, a.ip]));
  const { admin, token } = await agentAdmin(kc, ns, 'demo');
  t.teardown(() => admin.close());
  const holders = [repo.status!.primary!, ...repo.status!.replicas!];
  for (const a of holders) t.truthy(await admin.repoState(`${ipOf.get(a)}:9090`, token, 'bulk-0'), `${a} holds bulk-0`);
  const del = await p.kubectl(['delete', 'repository', 'bulk-0', '-n', ns, '--timeout=60s']);
  t.is(del.code, 0, del.stderr);
  for (const a of holders) t.is(await admin.repoState(`${ipOf.get(a)}:9090`, token, 'bulk-0'), null, `${a} forgot bulk-0`);
});

test.serial('killing the leader hands the Lease over within its duration, and the new leader reconciles', async (t) => {
  const holder = await waitFor('a leader', () => leaseHolder(p), { timeoutMs: 30_000 });
  const pod = holder.split('_')[0];
  const killedAt = Date.now();
  p.signalPod(OPERATOR_NS, pod, 'operator', 'SIGKILL');
  const next = await waitFor('a new Lease holder', async () => {
    const h = await leaseHolder(p);
    return h && h !== holder ? h : false;
  }, { timeoutMs: 30_000, intervalMs: 250 });
  const took = Date.now() - killedAt;
  t.log(`leader ${holder} killed; ${next} leads after ${took} ms`);
  // Lease 10 s, plus one retry period (~1.4 s) and polling and process-start slack on a busy 2-core machine.
  t.true(took < 10_000 + 5_000, `handover took ${took} ms (lease 10 s)`);
  await apply([repoManifest('after-handover')]);
  const [repo] = await readyRepositories(['after-handover'], 60_000);
  t.truthy(repo.status?.primary);
});

test.serial('kubectl scale govccluster/demo --replicas=4 adds a fourth Ready agent, which gets the routes', async (t) => {
  const r = await p.kubectl(['scale', 'govccluster/demo', '-n', ns, '--replicas=4']);
  t.is(r.code, 0, r.stderr);
  const cluster = await waitFor('4 ready agents', async () => {
    const c = await getCluster(kc, ns, 'demo');
    return c.status?.readyAgents === 4 ? c : false;
  }, { timeoutMs: 120_000, intervalMs: 1000 });
  const fourth = (cluster.status?.agentStatuses ?? []).find((a) => a.pod === 'demo-agent-3');
  t.truthy(fourth?.ready, JSON.stringify(cluster.status?.agentStatuses));
  // The new agent learns every route (published to each new agent incarnation) and forwards along it.
  const read = await waitFor('routed read through the new agent', async () => {
    const res = await fetch(`http://${fourth!.ip}:8080/api/v1/repos/routed/files/a.txt`);
    return res.status === 200 ? res : false;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  t.is(await read.text(), 'routed\n');
});

/** Copies per agent from the Repository statuses (the record of truth). */
async function copiesPerAgent(): Promise<Map<string, number>> {
  const copies = new Map<string, number>();
  for (const r of await listRepositories(kc, ns)) {
    for (const a of [r.status?.primary, ...(r.status?.replicas ?? [])]) if (a) copies.set(a, (copies.get(a) ?? 0) + 1);
  }
  return copies;
}

test.serial('scale-in drains the highest agent first: its copies move, then its Pod goes; writes keep working', async (t) => {
  const r = await p.kubectl(['scale', 'govccluster/demo', '-n', ns, '--replicas=3']);
  t.is(r.code, 0, r.stderr);
  const core = kc.makeApiClient(CoreV1Api);
  // The status says what is in motion while the drain runs (unless it finished before a look caught it).
  let sawDraining = false;
  await waitFor('demo-agent-3 marked draining', async () => {
    const s = (await getCluster(kc, ns, 'demo')).status;
    if (s?.drainingAgents?.includes('demo-agent-3')) {
      sawDraining = true;
      t.is(s.conditions?.find((c) => c.type === 'Progressing')?.reason, 'Draining');
    }
    try {
      const pod = await core.readNamespacedPod({ namespace: ns, name: 'demo-agent-3' });
      return pod.metadata?.annotations?.['govc.io/draining'] === 'true' && sawDraining;
    } catch {
      return true; // already gone: the drain finished
    }
  }, { timeoutMs: 30_000, intervalMs: 250 });
  await waitFor('demo-agent-3 deleted', async () => {
    const pods = (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=govc-agent' })).items;
    return !pods.some((pod) => pod.metadata?.name === 'demo-agent-3');
  }, { timeoutMs: 180_000, intervalMs: 1000 });
  const copies = await copiesPerAgent();
  t.false(copies.has('demo-agent-3'), JSON.stringify([...copies]));
  const repos = await readyRepositories((await listRepositories(kc, ns)).map((x) => x.metadata.name!), 120_000);
  for (const repo of repos) t.is(new Set([repo.status!.primary, ...(repo.status!.replicas ?? [])]).size, repo.spec.replicationFactor ?? 3, repo.metadata.name);
  // The repository written earlier still has its content, served through any agent.
  const cluster = await getCluster(kc, ns, 'demo');
  const any = (cluster.status?.agentStatuses ?? []).find((a) => a.ready && a.ip);
  const read = await waitFor('read after scale-in', async () => {
    const res = await fetch(`http://${any!.ip}:8080/api/v1/repos/routed/files/a.txt`);
    return res.status === 200 ? res : false;
  }, { timeoutMs: 30_000, intervalMs: 500 });
  t.is(await read.text(), 'routed\n');
});

test.serial('autoscaling: copies per agent past the target grow 3 agents to 5 within the load bound; idle shrinks back to minAgents', async (t) => {
  const copies = [...(await copiesPerAgent()).values()].reduce((a, b) => a + b, 0);
  const perAgentNow = copies / 3;
  // A target of 60% of today's load per agent: pressure 1.67 → ceil(3 × 1.67) = 5 agents (maxAgents 5).
  const target = Math.max(1, Math.floor(perAgentNow * 0.6));
  const patch = (autoscaling: object) =>
    p.kubectl(['patch', 'govccluster/demo', '-n', ns, '--type=merge', '-p', JSON.stringify({ spec: { autoscaling } })]);
  let r = await patch({ enabled: true, minAgents: 3, maxAgents: 5, targets: { repositoriesPerAgent: target }, stabilization: { scaleUpSeconds: 0, scaleDownSeconds: 5 } });
  t.is(r.code, 0, r.stderr);
  await waitFor('5 ready agents', async () => (await getCluster(kc, ns, 'demo')).status?.readyAgents === 5, { timeoutMs: 180_000, intervalMs: 1000 });
  t.is((await getCluster(kc, ns, 'demo')).spec.agents, 5);
  const spread = await waitFor('copies spread within the bound', async () => {
    const c = await copiesPerAgent();
    const counts = [...c.values()];
    const mean = copies / 5;
    return c.size === 5 && Math.max(...counts) <= Math.ceil(1.25 * mean) + 1 ? c : false;
  }, { timeoutMs: 180_000, intervalMs: 2000 }).catch(async (err: unknown) => {
    // what the placement came to: copies and primaries per agent, and the repositories not Ready
    const repos = await listRepositories(kc, ns);
    const primaries = new Map<string, number>();
    for (const x of repos) if (x.status?.primary) primaries.set(x.status.primary, (primaries.get(x.status.primary) ?? 0) + 1);
    t.log(`copies ${JSON.stringify([...(await copiesPerAgent())])}; primaries ${JSON.stringify([...primaries])}`);
    t.log(`not Ready: ${JSON.stringify(repos.filter((x) => x.status?.phase !== 'Ready').map((x) => [x.metadata.name, x.status?.phase, x.status?.conditions]))}`);
    throw err;
  });
  t.log(`copies per agent after scale-out: ${JSON.stringify([...spread])}`);
  // Idle against a much higher target: below half of it for the whole 5 s window → back to minAgents, by draining.
  r = await patch({ targets: { repositoriesPerAgent: 100_000 } });
  t.is(r.code, 0, r.stderr);
  await waitFor('back to 3 agents', async () => {
    const c = await getCluster(kc, ns, 'demo');
    const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: ns, labelSelector: 'app.kubernetes.io/name=govc-agent' })).items;
    return c.spec.agents === 3 && pods.length === 3 && c.status?.readyAgents === 3;
  }, { timeoutMs: 240_000, intervalMs: 1000 });
  const after = await copiesPerAgent();
  t.false(after.has('demo-agent-3') || after.has('demo-agent-4'), JSON.stringify([...after]));
  await readyRepositories((await listRepositories(kc, ns)).map((x) => x.metadata.name!), 120_000);
});
