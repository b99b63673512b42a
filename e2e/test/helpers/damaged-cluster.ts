// One GovcCluster of the damaged-copies e2e test as the test looks at it: its agent Pods and Repositories, when it has
// settled (every repository Ready with all its copies in sync, agreeing, none damaged), continuous writers through
// its agents, what an agent logged about a quarantine, and the checks made after a damaged copy healed (no
// acknowledged write lost, the repositories led elsewhere kept serving, nothing but that copy was ever damaged).
import type { ExecutionContext } from 'ava';
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import type { AgentAdmin, RepoState } from '../../../operator/src/agents/agent-admin.js';
import type { RepositoryResource } from '../../../operator/src/crd/generated-types.js';
import type { PlaneHandle } from '../../harness/plane-handle.js';
import { delay, waitFor } from '../../harness/util.js';
import type { DamageWatch } from './damage-watch.js';
import { forensicFiles } from './journal-damage.js';
import { isReady } from './k8s.js';
import { OPERATOR_NS, listRepositories } from './operator.js';
import { QuorumWriters, verifyAcked } from './quorum-writers.js';

export interface View {
  repos: Map<string, RepositoryResource>;
  pods: Map<string, V1Pod>;
  ips: Map<string, string>;
}

export const grpcOf = (v: View, agent: string): string => `${v.ips.get(agent)}:9090`;

export class DamagedCluster {
  constructor(
    private readonly p: PlaneHandle, private readonly kc: KubeConfig, readonly namespace: string, readonly cluster: string,
    private readonly agents: number, readonly repos: readonly string[], private readonly admin: AgentAdmin, private readonly token: string,
  ) {}

  async agentPods(): Promise<V1Pod[]> {
    return (await this.kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: this.namespace, labelSelector: `govc.io/cluster=${this.cluster}` })).items;
  }

  async repositories(): Promise<Map<string, RepositoryResource>> {
    return new Map((await listRepositories(this.kc, this.namespace)).map((r) => [r.metadata.name!, r]));
  }

  repoState(addr: string, repo: string): Promise<RepoState | null> {
    return this.admin.repoState(addr, this.token, repo);
  }

  /** Every agent Ready, every repository Ready with 3 in-sync copies at the same seq and checksum, none damaged. */
  async settled(timeoutMs: number): Promise<View> {
    return waitFor('agents Ready, repositories Ready with 3 in-sync copies that agree', async () => {
      const list = await this.agentPods();
      if (list.length !== this.agents || !list.every(isReady)) return false;
      const pods = new Map(list.map((x) => [x.metadata!.name!, x]));
      const ips = new Map(list.map((x) => [x.metadata!.name!, x.status?.podIP ?? '']));
      const repos = await this.repositories();
      for (const name of this.repos) {
        const s = repos.get(name)?.status;
        if (s?.phase !== 'Ready' || !s.primary || (s.replicas ?? []).length !== 2) return false;
        if ([...(s.inSyncReplicas ?? [])].sort().join() !== [...s.replicas!].sort().join()) return false;
        if ((s.damagedCopies ?? []).length > 0) return false;
        const states = await Promise.all([s.primary, ...s.replicas!].map((a) => this.repoState(`${ips.get(a)}:9090`, name)));
        if (!states.every((x) => x && !x.damaged && x.epoch === s.epoch && x.appliedSeq === states[0]!.appliedSeq && x.checksum === states[0]!.checksum)) return false;
      }
      return { repos, pods, ips };
    }, { timeoutMs, intervalMs: 1_000 });
  }

  /** Writers on every repository through whichever agents are Ready (refreshed every 0.5 s, like a Service's endpoints). */
  startWriters(v: View): { writers: QuorumWriters; stop(): Promise<number> } {
    let endpoints = [...v.ips.values()].map((ip) => `${ip}:8080`);
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        await delay(500);
        try {
          endpoints = (await this.agentPods()).filter(isReady).map((x) => `${x.status!.podIP}:8080`);
        } catch {
          // keep the last list
        }
      }
    })();
    const writers = new QuorumWriters(this.repos, () => endpoints);
    writers.start();
    let stoppedAt: number | undefined;
    return {
      writers,
      stop: async () => {
        stoppedAt ??= Date.now();
        watching = false;
        await Promise.all([writers.stop(), watcher]);
        return stoppedAt;
      },
    };
  }

  /** The quarantine log lines of an agent for `repo` (all its runs, or those logged from `since` on): the damage each gave. */
  quarantineLines(agent: string, repo: string, since = 0): string[] {
    const out: string[] = [];
    for (const line of this.p.containerLog(this.namespace, agent, 'agent').split('\n')) {
      if (!line.includes('repository quarantined')) continue;
      try {
        const j = JSON.parse(line) as { repo?: string; damage?: string; timestamp?: string };
        if (j.repo === repo && Date.parse(j.timestamp ?? '') >= since) out.push(j.damage ?? '');
      } catch {
        // not a JSON line
      }
    }
    return out;
  }

  /** The agent answers again after a restart: its Pod Ready and its Admin API up. */
  async backUp(agent: string, ip: string, repo: string): Promise<{ at: number; state: RepoState | null }> {
    return waitFor(`${agent} back`, async () => {
      const pod = (await this.agentPods()).find((x) => x.metadata?.name === agent);
      if (!pod || !isReady(pod)) return false;
      return { at: Date.now(), state: await this.repoState(`${ip}:9090`, repo) };
    }, { timeoutMs: 90_000, intervalMs: 100 });
  }

  async events(object: string, reason: string): Promise<Array<{ message: string; count: number }>> {
    const r = await this.p.kubectl(['get', 'events', '-n', this.namespace, '--field-selector', `involvedObject.name=${object},reason=${reason}`, '-o', 'json']);
    if (r.code !== 0) throw new Error(r.stderr);
    return (JSON.parse(r.stdout) as { items: Array<{ message?: string; count?: number }> }).items.map((e) => ({ message: e.message ?? '', count: e.count ?? 1 }));
  }

  /**
   * After a damaged copy healed: writers stopped, everything settled, and every acknowledged write is on every copy
   * of every repository.
   */
  async verifyAfter(t: ExecutionContext, writers: QuorumWriters): Promise<View> {
    const after = await this.settled(240_000);
    const check = async (v: View, names: readonly string[]): Promise<string[]> => {
      const missing: string[] = [];
      for (const name of names) {
        const s = v.repos.get(name)!.status!;
        const copies = new Map([s.primary!, ...s.replicas!].map((a) => [a, v.ips.get(a)!]));
        for (const c of await verifyAcked(this.admin, this.token, name, copies, writers.acked.get(name)!)) missing.push(...c.missing.map((sha) => `${name}/${c.agent}/${sha}`));
      }
      return missing;
    };
    let lost = await check(after, this.repos);
    // A copy moved between the settled look and its check is looked at again on a fresh placement (a real loss stays).
    if (lost.length > 0) lost = await check(await this.settled(180_000), [...new Set(lost.map((l) => l.split('/')[0]))]);
    t.log(`${writers.totalAcked} writes acknowledged (${[...writers.failures.values()].reduce((a, b) => a + b, 0)} refused or timed out)`);
    t.deepEqual(lost, [], 'acknowledged writes missing from a copy');
    return after;
  }

  /** Repositories whose primary is not `agent`: each acknowledged a write while `agent` was down. */
  othersKeptServing(t: ExecutionContext, writers: QuorumWriters, before: View, agent: string, from: number, to: number): void {
    const elsewhere = this.repos.filter((r) => before.repos.get(r)!.status!.primary !== agent);
    const gaps = elsewhere.map((r) => `${r} ${writers.longestGap(r, from, to).ms} ms`);
    t.log(`longest stretch without an acknowledged write while ${agent} was down, repositories led elsewhere: ${gaps.join(', ')}`);
    t.deepEqual(elsewhere.filter((r) => !writers.acked.get(r)!.some((w) => w.ackedAt > from && w.ackedAt < to)), [], `repositories led elsewhere acknowledged nothing while ${agent} was down`);
  }

  /**
   * The agent's other copies were never quarantined (nor re-seeded: `forensicsBefore` counts their forensic files
   * before), nothing else was ever listed damaged, and nothing lists the healed copy any more.
   */
  async blastRadiusOfOne(
    t: ExecutionContext, watch: DamageWatch, after: View, agent: string, dataDir: string, damaged: string, since: number, forensicsBefore: ReadonlyMap<string, number>,
  ): Promise<void> {
    for (const r of this.repos.filter((x) => x !== damaged)) {
      t.deepEqual(this.quarantineLines(agent, r, since), [], `${r} quarantined on ${agent}`);
      t.is(forensicFiles(dataDir, r).length, forensicsBefore.get(r) ?? 0, `${r} re-seeded on ${agent}`);
    }
    t.deepEqual(watch.sightings.filter((x) => x.agent !== agent || x.repo !== damaged), [], 'another copy listed as damaged');
    for (const x of watch.seen(agent, damaged, 'repository')) t.regex(x.damage ?? '', /journal is corrupt/);
    t.false(after.repos.get(damaged)!.status!.conditions!.some((c) => c.reason === 'CopyDamaged'), 'a CopyDamaged condition left after healing');
    await waitFor('no agent lists a damaged copy any more', async () => (await watch.look()).length === 0, { timeoutMs: 45_000, intervalMs: 500 });
  }
}

/** The operator Lease: who holds it, and since when (ms). */
export async function operatorLease(p: PlaneHandle): Promise<{ holder: string; acquiredAt: number } | undefined> {
  const r = await p.kubectl(['get', 'lease', 'govc-operator', '-n', OPERATOR_NS, '-o', 'json']);
  if (r.code !== 0) return undefined;
  const spec = (JSON.parse(r.stdout) as { spec?: { holderIdentity?: string; acquireTime?: string } }).spec;
  return spec?.holderIdentity ? { holder: spec.holderIdentity, acquiredAt: Date.parse(spec.acquireTime ?? '') } : undefined;
}

/** The operator Pods with a running process. */
export async function operatorPods(p: PlaneHandle, kc: KubeConfig): Promise<string[]> {
  const pods = (await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: OPERATOR_NS, labelSelector: 'app.kubernetes.io/name=govc-operator' })).items;
  return pods.filter((x) => p.podPid(OPERATOR_NS, x.metadata!.name!, 'operator') !== undefined).map((x) => x.metadata!.name!);
}
