// Damaged copies on the real plane, under load: a GovcCluster of 3 agents, 6 Repositories with 3 copies and quorum
// writes taking continuous writes (every acknowledged commit recorded). One byte in the middle of one repository's
// journal is flipped on one agent while its process is frozen, and the process is killed; the process kubelet
// restarts it and the agent quarantines that copy (and only that one):
// - a replica's copy re-seeds itself from its primary;
// - a primary's copy, when the operator did not see the restart (it was paused meanwhile), is found by the operator's
//   look at the primary: Event PrimaryDamaged, a failover with reason "damaged", the old primary re-seeds as a replica;
// - a primary's copy while the operator watches: the dead primary is failed over as usual and its copy re-seeds when
//   it comes back;
// each time the Repository returns to Ready with 3 in-sync copies that agree, no acknowledged write is lost, the
// repositories led elsewhere keep acknowledging writes while the agent is down, and the longest stretch without an
// acknowledged write is reported. Last, the only copy of a repository with replicationFactor 1: nothing can replace it,
// so the Repository says so (Ready False, CopyDamaged, naming the agent and the damage), every agent answers 503
// repository_damaged rather than serve an empty repository, the cluster lists the copy; restored by hand, it is
// Ready again and listed nowhere.
import test from 'ava';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { join } from 'node:path';
import type { AgentAdmin } from '../../operator/src/agents/agent-admin.js';
import { Role } from '../../operator/src/agents/agent-admin.js';
import type { PlaneHandle } from '../harness/plane-handle.js';
import { delay, waitFor } from '../harness/util.js';
import { DamageWatch } from './helpers/damage-watch.js';
import { DamagedCluster, grpcOf as grpc, operatorLease, operatorPods } from './helpers/damaged-cluster.js';
import { agentDataDir, editWhileStopped, flipMiddleByte, forensicFiles, repoDir, restoreByte } from './helpers/journal-damage.js';
import { createNamespace } from './helpers/k8s.js';
import { OPERATOR_NS, agentAdmin, installOperator, uninstallOperator } from './helpers/operator.js';
import { uniqueName, usePlane } from './helpers/plane.js';
import { verifyAcked } from './helpers/quorum-writers.js';

const plane = usePlane(test);
const ns = uniqueName('damaged');
const CLUSTER = 'dmg';
const AGENTS = 3;
const REPOS = Array.from({ length: 6 }, (_, i) => `dmg-${i}`);
const SOLO = 'solo';
let p: PlaneHandle;
let kc: KubeConfig;
let admin: AgentAdmin;
let token: string;
let c: DamagedCluster;
/** Processes this file froze and has not woken yet: `<namespace>/<pod>/<container>` (woken in teardown whatever happens). */
const frozen = new Set<string>();

async function apply(objects: object[]): Promise<void> {
  const r = await p.kubectl(['apply', '-n', ns, '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
  if (r.code !== 0) throw new Error(r.stderr);
}

function freeze(namespace: string, pod: string, container: string): void {
  p.signalPod(namespace, pod, container, 'SIGSTOP');
  frozen.add(`${namespace}/${pod}/${container}`);
}

/** Ends a frozen process (the kubelet restarts it). */
function killFrozen(namespace: string, pod: string, container: string): void {
  frozen.delete(`${namespace}/${pod}/${container}`);
  p.signalPod(namespace, pod, container, 'SIGKILL');
}

test.before(async () => {
  p = await plane();
  kc = p.adminKubeConfig();
  await installOperator(p);
  await createNamespace(kc, ns);
  await apply([
    {
      apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name: CLUSTER },
      spec: { agents: AGENTS, image: 'govc/agent:0.1.0', defaults: { replicationFactor: 3, writeConcern: 'quorum' } },
    },
    ...REPOS.map((name) => ({ apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name }, spec: { clusterRef: CLUSTER } })),
  ]);
  await waitFor('admin token Secret', async () => (await kc.makeApiClient(CoreV1Api).readNamespacedSecret({ namespace: ns, name: `${CLUSTER}-admin-token` })).data?.token, { timeoutMs: 60_000 });
  ({ admin, token } = await agentAdmin(kc, ns, CLUSTER));
  c = new DamagedCluster(p, kc, ns, CLUSTER, AGENTS, REPOS, admin, token);
  await c.settled(240_000);
});

test.after.always(async () => {
  if (!p) return;
  for (const key of frozen) {
    const [podNs, pod, container] = key.split('/');
    try {
      p.signalPod(podNs, pod, container, 'SIGCONT');
    } catch {
      // already gone
    }
  }
  admin?.close();
  await p.kubectl(['delete', 'repositories', '--all', '-n', ns, '--timeout=60s']);
  await p.kubectl(['delete', 'namespace', ns, '--timeout=90s']);
  await uninstallOperator(p);
});

test.serial('a replica\'s damaged copy is quarantined on restart and re-seeds itself; Ready with 3 in-sync copies, nothing lost', async (t) => {
  const before = await c.settled(180_000);
  const target = REPOS[0];
  const victim = [...before.repos.get(target)!.status!.replicas!].sort()[0];
  const dataDir = agentDataDir(p, ns, victim, before.pods.get(victim)!.metadata!.uid!);
  const forensicsBefore = new Map(REPOS.map((r) => [r, forensicFiles(dataDir, r).length]));
  const watch = new DamageWatch(kc, ns, CLUSTER);
  const run = c.startWriters(before);
  watch.start();
  try {
    await waitFor('writes acknowledged', () => run.writers.acked.get(target)!.length >= 8, { timeoutMs: 60_000 });
    const { result: flipped, killedAt } = editWhileStopped(p, ns, victim, () => flipMiddleByte(join(repoDir(dataDir, target), 'journal')));
    t.log(`${new Date(killedAt).toISOString()} flipped byte ${flipped.offset} (record ${flipped.record} of ${flipped.records}) of ${target}'s journal on replica ${victim}, killed it`);

    const back = await c.backUp(victim, before.ips.get(victim)!, target);
    const damage = await waitFor(`${victim} quarantines ${target}`, () => c.quarantineLines(victim, target, killedAt)[0], { timeoutMs: 30_000 });
    t.log(`${victim} back after ${back.at - killedAt} ms; quarantined ${target}: ${damage}`);
    t.regex(damage, /journal is corrupt/);
    const forensics = await waitFor(`${victim} re-seeds ${target}`, () => {
      const f = forensicFiles(dataDir, target);
      return f.length > (forensicsBefore.get(target) ?? 0) && f;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    t.log(`re-seeded: kept ${forensics.join(', ')}`);
    c.othersKeptServing(t, run.writers, before, victim, killedAt, back.at);
    await delay(3_000);
    const stoppedAt = await run.stop();
    const gap = run.writers.longestGap(target, killedAt, stoppedAt);
    t.log(`${target}: longest stretch without an acknowledged write ${gap.ms} ms`);

    const after = await c.verifyAfter(t, run.writers);
    t.true([...after.repos.get(target)!.status!.replicas!, after.repos.get(target)!.status!.primary].includes(victim), `${victim} holds a copy of ${target} again`);
    await watch.stop();
    const seen = watch.seen(victim, target);
    t.log(`seen damaged: cluster ${watch.seen(victim, target, 'cluster').length}×, repository ${watch.seen(victim, target, 'repository').length}× ` +
      `(${seen.length > 0 ? `${seen[0].at - killedAt}..${seen[seen.length - 1].at - killedAt} ms after the kill` : 'healed before any look'})`);
    await c.blastRadiusOfOne(t, watch, after, victim, dataDir, target, killedAt, forensicsBefore);
  } finally {
    await run.stop();
    await watch.stop();
  }
});

test.serial('a primary\'s damaged copy found by a new operator leader\'s first look: PrimaryDamaged, failover "damaged", it re-seeds as a replica; nothing lost', async (t) => {
  const before = await c.settled(180_000);
  const target = REPOS[1];
  const victim = before.repos.get(target)!.status!.primary!;
  const oldEpoch = before.repos.get(target)!.status!.epoch!;
  const dataDir = agentDataDir(p, ns, victim, before.pods.get(victim)!.metadata!.uid!);
  const forensicsBefore = new Map(REPOS.map((r) => [r, forensicFiles(dataDir, r).length]));
  const watch = new DamageWatch(kc, ns, CLUSTER);
  const run = c.startWriters(before);
  watch.start();
  const operators = await operatorPods(p, kc);
  const leaderBefore = await operatorLease(p);
  try {
    await waitFor('writes acknowledged', () => run.writers.acked.get(target)!.length >= 8, { timeoutMs: 60_000 });
    // The operator does not see the restart: frozen meanwhile, then replaced. Its next leader (once the Lease expires)
    // starts from what is there now: the agent Ready, its copy of the repository it leads quarantined. A restart of the
    // agent that the operator saw would be an ordinary failover (the next test).
    for (const o of operators) freeze(OPERATOR_NS, o, 'operator');
    const { killedAt, back } = await (async () => {
      try {
        const edit = editWhileStopped(p, ns, victim, () => flipMiddleByte(join(repoDir(dataDir, target), 'journal')));
        t.log(`operator frozen; flipped byte ${edit.result.offset} (record ${edit.result.record} of ${edit.result.records}) of ${target}'s journal on its primary ${victim}, killed it`);
        return { killedAt: edit.killedAt, back: await c.backUp(victim, before.ips.get(victim)!, target) };
      } finally {
        for (const o of operators) killFrozen(OPERATOR_NS, o, 'operator');
      }
    })();
    t.true(back.state?.damaged, `${target} on ${victim} after the restart: ${JSON.stringify(back.state && { damaged: back.state.damaged, role: back.state.role, fenced: back.state.fenced })}`);
    t.regex(back.state?.damage ?? '', /journal is corrupt/);
    t.log(`${victim} back after ${back.at - killedAt} ms, copy damaged (${back.state!.damage}); operator processes replaced`);
    const leader = await waitFor('a new operator leader', async () => {
      const l = await operatorLease(p);
      return l && l.holder !== leaderBefore?.holder ? l : false;
    }, { timeoutMs: 60_000, intervalMs: 200 });
    const resumedAt = leader.acquiredAt;
    t.log(`new leader ${leader.holder} ${resumedAt - killedAt} ms after the kill`);

    const victimAddr = grpc(before, victim);
    const failedOver = await waitFor(`${target} failed over away from its damaged primary`, async () => {
      const s = (await c.repositories()).get(target)?.status;
      const ack = run.writers.firstAckAfter(target, resumedAt, victimAddr);
      return s?.primary && s.primary !== victim && s.epoch! > oldEpoch && ack ? { s, ack } : false;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    t.log(`first acknowledged write on ${failedOver.s.primary} ${failedOver.ack.ackedAt - resumedAt} ms after the new leader took the Lease`);
    t.like(failedOver.s.lastFailover, { from: victim, to: failedOver.s.primary, reason: 'damaged' });
    const damagedEvents = await c.events(target, 'PrimaryDamaged');
    t.true(damagedEvents.some((e) => e.message.includes(victim) && e.message.includes('journal is corrupt')), JSON.stringify(damagedEvents));

    await waitFor(`${victim} re-seeds ${target} as a replica`, () => forensicFiles(dataDir, target).length > (forensicsBefore.get(target) ?? 0), { timeoutMs: 60_000, intervalMs: 200 });
    await delay(3_000);
    const stoppedAt = await run.stop();
    const gap = run.writers.longestGap(target, killedAt - 1_000, stoppedAt);
    t.log(`${target}: longest stretch without an acknowledged write ${gap.ms} ms (kill → agent back ${back.at - killedAt} ms, ` +
      `kill → new operator leader ${resumedAt - killedAt} ms, new leader → first write on the new primary ${failedOver.ack.ackedAt - resumedAt} ms)`);
    t.true(failedOver.ack.ackedAt - resumedAt < 30_000, 'the new leader took over 30 s to fail the damaged primary over');

    const after = await c.verifyAfter(t, run.writers);
    const s = after.repos.get(target)!.status!;
    t.true(s.replicas!.includes(victim), `${victim} is a replica of ${target} again: ${JSON.stringify({ primary: s.primary, replicas: s.replicas })}`);
    const state = await admin.repoState(grpc(after, victim), token, target);
    t.is(state?.role, Role.ROLE_REPLICA);
    await watch.stop();
    t.log(`seen damaged: cluster ${watch.seen(victim, target, 'cluster').length}×, repository ${watch.seen(victim, target, 'repository').length}×`);
    await c.blastRadiusOfOne(t, watch, after, victim, dataDir, target, killedAt, forensicsBefore);
  } finally {
    await run.stop();
    await watch.stop();
  }
});

test.serial('a primary\'s damaged copy while the operator watches: the dead primary is failed over, its copy re-seeds; nothing lost', async (t) => {
  const before = await c.settled(180_000);
  const target = REPOS[2];
  const victim = before.repos.get(target)!.status!.primary!;
  const oldEpoch = before.repos.get(target)!.status!.epoch!;
  const dataDir = agentDataDir(p, ns, victim, before.pods.get(victim)!.metadata!.uid!);
  const forensicsBefore = new Map(REPOS.map((r) => [r, forensicFiles(dataDir, r).length]));
  const watch = new DamageWatch(kc, ns, CLUSTER);
  const run = c.startWriters(before);
  watch.start();
  try {
    await waitFor('writes acknowledged', () => run.writers.acked.get(target)!.length >= 8, { timeoutMs: 60_000 });
    const { result: flipped, killedAt } = editWhileStopped(p, ns, victim, () => flipMiddleByte(join(repoDir(dataDir, target), 'journal')));
    t.log(`flipped byte ${flipped.offset} (record ${flipped.record} of ${flipped.records}) of ${target}'s journal on its primary ${victim}, killed it`);
    const victimAddr = grpc(before, victim);
    const failedOver = await waitFor(`${target} failed over`, async () => {
      const s = (await c.repositories()).get(target)?.status;
      const ack = run.writers.firstAckAfter(target, killedAt, victimAddr);
      return s?.primary && s.primary !== victim && s.epoch! > oldEpoch && ack ? { s, ack } : false;
    }, { timeoutMs: 60_000, intervalMs: 100 });
    t.log(`first acknowledged write on ${failedOver.s.primary} ${failedOver.ack.ackedAt - killedAt} ms after the kill; lastFailover ${JSON.stringify(failedOver.s.lastFailover)}`);
    t.true(['failover', 'damaged'].includes(failedOver.s.lastFailover?.reason ?? ''), JSON.stringify(failedOver.s.lastFailover));
    const back = await c.backUp(victim, before.ips.get(victim)!, target);
    const damage = await waitFor(`${victim} quarantines ${target}`, () => c.quarantineLines(victim, target, killedAt)[0], { timeoutMs: 30_000 });
    t.log(`${victim} back after ${back.at - killedAt} ms; quarantined ${target}: ${damage}`);
    await waitFor(`${victim} re-seeds ${target}`, () => forensicFiles(dataDir, target).length > (forensicsBefore.get(target) ?? 0), { timeoutMs: 60_000, intervalMs: 200 });
    c.othersKeptServing(t, run.writers, before, victim, killedAt, back.at);
    await delay(3_000);
    const stoppedAt = await run.stop();
    const gap = run.writers.longestGap(target, killedAt - 1_000, stoppedAt);
    t.log(`${target}: longest stretch without an acknowledged write ${gap.ms} ms`);

    const after = await c.verifyAfter(t, run.writers);
    await watch.stop();
    t.log(`seen damaged: cluster ${watch.seen(victim, target, 'cluster').length}×, repository ${watch.seen(victim, target, 'repository').length}×`);
    await c.blastRadiusOfOne(t, watch, after, victim, dataDir, target, killedAt, forensicsBefore);
  } finally {
    await run.stop();
    await watch.stop();
  }
});

test.serial('the only copy damaged (replicationFactor 1): Ready False CopyDamaged, 503 everywhere, listed; restored: Ready, listed nowhere', async (t) => {
  await apply([{ apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name: SOLO }, spec: { clusterRef: CLUSTER, replicationFactor: 1 } }]);
  const placed = await waitFor(`${SOLO} Ready`, async () => {
    const s = (await c.repositories()).get(SOLO)?.status;
    return s?.phase === 'Ready' && s.primary ? s : false;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  const victim = placed.primary!;
  const pods = new Map((await c.agentPods()).map((x) => [x.metadata!.name!, x]));
  const ip = pods.get(victim)!.status!.podIP!;
  const httpOf = [...pods.values()].map((x) => `${x.status!.podIP}:8080`);
  const acked: string[] = [];
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`http://${ip}:8080/api/v1/repos/${SOLO}/commits`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ branch: 'main', message: `s${i}`, author: { name: 'Solo', email: 'solo@example.com' }, files: [{ path: `s/${i}.txt`, content: `solo ${i}\n` }] }),
    });
    t.is(res.status, 201, await res.clone().text());
    acked.push(((await res.json()) as { sha: string }).sha);
  }
  const dataDir = agentDataDir(p, ns, victim, pods.get(victim)!.metadata!.uid!);
  const { result: flipped, killedAt } = editWhileStopped(p, ns, victim, () => flipMiddleByte(join(repoDir(dataDir, SOLO), 'journal')));
  t.log(`flipped byte ${flipped.offset} (record ${flipped.record} of ${flipped.records}) of ${SOLO}'s only copy, on ${victim}`);

  const watch = new DamageWatch(kc, ns, CLUSTER);
  const reported = await waitFor(`${SOLO}: Ready False CopyDamaged, listed on the Repository and the cluster`, async () => {
    const s = (await c.repositories()).get(SOLO)?.status;
    const ready = s?.conditions?.find((c) => c.type === 'Ready');
    const seen = await watch.look();
    const onCluster = seen.some((x) => x.where === 'cluster' && x.agent === victim && x.repo === SOLO);
    return ready?.status === 'False' && ready.reason === 'CopyDamaged' && onCluster && s?.damagedCopies?.length ? { s, ready } : false;
  }, { timeoutMs: 90_000, intervalMs: 500 });
  t.log(`${Date.now() - killedAt} ms after the kill: phase ${reported.s.phase}, Ready ${reported.ready.reason}: ${reported.ready.message}; damagedCopies ${JSON.stringify(reported.s.damagedCopies)}`);
  t.regex(reported.ready.message, new RegExp(victim));
  t.regex(reported.ready.message, /journal is corrupt/);
  t.like(reported.s.damagedCopies![0], { agent: victim, role: 'primary' });
  t.regex(reported.s.damagedCopies![0].damage, /journal is corrupt/);
  t.is(reported.s.primary, victim, 'the damaged only copy stays where it is');
  t.is(reported.s.phase, 'Degraded');

  // Never an empty repository: through every agent (those without a copy forward along the route the operator
  // publishes) a 503 repository_damaged; until that route reaches an agent it may say 404, never 200.
  const seen = new Map<string, number>();
  const write = { branch: 'main', message: 'x', author: { name: 'X', email: 'x@example.com' }, files: [{ path: 'x', content: 'x' }] };
  await waitFor('every agent answers 503 repository_damaged', async () => {
    let all = true;
    for (const to of httpOf) {
      for (const [method, path, body] of [['GET', 'commits?ref=main', undefined], ['POST', 'commits', write]] as const) {
        const res = await fetch(`http://${to}/api/v1/repos/${SOLO}/${path}`, {
          method, ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
        });
        const text = await res.text();
        const outcome = `${method} ${res.status} ${res.status === 503 ? (JSON.parse(text) as { error: { code: string } }).error.code : ''}`.trim();
        seen.set(outcome, (seen.get(outcome) ?? 0) + 1);
        if (outcome !== `${method} 503 repository_damaged`) all = false;
      }
    }
    return all;
  }, { timeoutMs: 30_000, intervalMs: 500 }).finally(() => t.log(`answers while damaged: ${JSON.stringify([...seen])}`));
  t.deepEqual([...seen.keys()].filter((k) => !/^(GET|POST) (503 repository_damaged|404)$/.test(k)), [], 'an answer other than 503 repository_damaged or 404');
  // Nothing to fail over to: the operator waits without spinning (a few Events, not one per retry).
  const epoch = reported.s.epoch;
  await delay(10_000);
  const later = (await c.repositories()).get(SOLO)!.status!;
  t.is(later.epoch, epoch, 'the epoch moved while nothing could be done');
  const spam = [...await c.events(SOLO, 'PrimaryDamaged'), ...await c.events(SOLO, 'FailoverBlocked')].reduce((n, e) => n + e.count, 0);
  t.log(`${spam} PrimaryDamaged/FailoverBlocked Events so far`);
  t.true(spam <= 6, `${spam} Events`);

  // Restored by hand (the byte put back) and restarted: Ready again, listed nowhere, every write there.
  editWhileStopped(p, ns, victim, () => restoreByte(flipped));
  const healed = await waitFor(`${SOLO} Ready again`, async () => {
    const s = (await c.repositories()).get(SOLO)?.status;
    return s?.phase === 'Ready' && !s.damagedCopies?.length ? s : false;
  }, { timeoutMs: 120_000, intervalMs: 500 });
  t.is(healed.primary, victim);
  await waitFor('no agent lists a damaged copy any more', async () => (await watch.look()).length === 0, { timeoutMs: 45_000, intervalMs: 500 });
  const checks = await verifyAcked(admin, token, SOLO, new Map([[victim, ip]]), acked.map((sha, i) => ({ repo: SOLO, sha, seq: i, servedBy: '', startedAt: 0, ackedAt: 0 })));
  t.deepEqual(checks.flatMap((c) => c.missing), []);
});
