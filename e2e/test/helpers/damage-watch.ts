// What a kubectl user sees of damaged copies while a test runs: the GovcCluster's agentStatuses[].damagedRepositories
// and each Repository's status.damagedCopies, polled in the background and kept with the time of each look, so a
// test can say whether (and when) a damaged copy was listed, and that it no longer is.
import type { KubeConfig } from '@kubernetes/client-node';
import { delay } from '../../harness/util.js';
import { getCluster, listRepositories } from './operator.js';

export interface DamageSighting {
  at: number;
  /** Where it was seen: `cluster` (agentStatuses) or `repository` (status.damagedCopies). */
  where: 'cluster' | 'repository';
  agent: string;
  repo: string;
  damage?: string;
}

export class DamageWatch {
  readonly sightings: DamageSighting[] = [];
  private running = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly kc: KubeConfig, private readonly namespace: string, private readonly cluster: string, private readonly intervalMs = 250) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        try {
          await this.look();
        } catch {
          // a failed look is only a gap in the record
        }
        await delay(this.intervalMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** Sightings of `repo`'s copy on `agent`, optionally in one place only. */
  seen(agent: string, repo: string, where?: DamageSighting['where']): DamageSighting[] {
    return this.sightings.filter((s) => s.agent === agent && s.repo === repo && (where === undefined || s.where === where));
  }

  /** One look now (also used directly by tests). */
  async look(): Promise<DamageSighting[]> {
    const at = Date.now();
    const found: DamageSighting[] = [];
    const c = await getCluster(this.kc, this.namespace, this.cluster);
    for (const a of c.status?.agentStatuses ?? []) {
      for (const repo of a.damagedRepositories ?? []) found.push({ at, where: 'cluster', agent: a.pod, repo });
    }
    for (const r of await listRepositories(this.kc, this.namespace)) {
      for (const d of r.status?.damagedCopies ?? []) found.push({ at, where: 'repository', agent: d.agent, repo: r.metadata.name!, damage: d.damage });
    }
    this.sightings.push(...found);
    return found;
  }
}
