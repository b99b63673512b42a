// Leader election on a coordination.k8s.io Lease (client-go's LeaseLock): acquire when the Lease is free, ours, or
// expired (renewTime + leaseDurationSeconds in the past); renew every retryPeriod; every write is a merge patch
// conditional on the resourceVersion read, so two candidates cannot both win. Times are written as MicroTime
// strings (six fractional digits): client-node would send milliseconds, which the API rejects.
import type { V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'winston';
import { isConflict, isNotFound } from '../kube/api-errors.js';
import { KubeClients, mergePatch, microTime } from '../kube/kube-clients.js';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  identity: string;
  leaseDurationSeconds: number;
  /** Give up leadership when renewals have failed this long (less than the lease duration). */
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Whether `holder` may take the Lease now (pure: the decision on a read Lease). */
export function canAcquire(lease: V1Lease, identity: string, now: number): boolean {
  const spec = lease.spec ?? {};
  if (!spec.holderIdentity || spec.holderIdentity === identity) return true;
  if (!spec.renewTime) return true;
  const expires = new Date(spec.renewTime).getTime() + (spec.leaseDurationSeconds ?? 15) * 1000;
  return expires < now;
}

export class LeaderElector {
  private leading = false;
  private lastRenew = 0;
  private stopped = false;
  /** Last time the loop completed an attempt (for /healthz). */
  lastAttempt = Date.now();

  constructor(
    private readonly clients: KubeClients,
    private readonly cfg: LeaderElectionConfig,
    private readonly log: Logger,
  ) {}

  get isLeader(): boolean {
    return this.leading;
  }

  /** Resolves once this replica leads; afterwards keeps renewing and calls onLost if it cannot. */
  async acquire(onLost: () => void): Promise<void> {
    while (!this.stopped) {
      if (await this.tryAcquireOrRenew()) break;
      await sleep(this.cfg.retryPeriodMs);
    }
    if (this.stopped) return;
    this.leading = true;
    this.lastRenew = Date.now();
    this.log.info('became leader', { lease: `${this.cfg.namespace}/${this.cfg.name}`, identity: this.cfg.identity });
    void this.renewLoop(onLost);
  }

  private async renewLoop(onLost: () => void): Promise<void> {
    while (!this.stopped && this.leading) {
      await sleep(this.cfg.retryPeriodMs);
      if (this.stopped) return;
      if (await this.tryAcquireOrRenew()) {
        this.lastRenew = Date.now();
      } else if (Date.now() - this.lastRenew > this.cfg.renewDeadlineMs) {
        this.leading = false;
        this.log.error('lost leadership', { lease: this.cfg.name });
        onLost();
      }
    }
  }

  /** One attempt; false on conflict, another live holder, or an API error. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationSeconds } = this.cfg;
    const api = this.clients.coordination;
    try {
      let lease: V1Lease;
      try {
        lease = await api.readNamespacedLease({ name, namespace });
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Created without times (client-node would serialise them with milliseconds); the patch below sets them.
        lease = await api.createNamespacedLease({
          namespace,
          body: { metadata: { name, namespace }, spec: { holderIdentity: identity, leaseDurationSeconds, leaseTransitions: 0 } },
        });
      }
      const now = Date.now();
      if (!canAcquire(lease, identity, now)) return false;
      const takeover = lease.spec?.holderIdentity !== identity || !lease.spec?.acquireTime;
      const spec = {
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        ...(takeover
          ? { acquireTime: microTime(now), leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + (lease.spec?.holderIdentity === identity ? 0 : 1) }
          : {}),
      };
      await api.patchNamespacedLease({ name, namespace, body: { metadata: { resourceVersion: lease.metadata?.resourceVersion }, spec } }, mergePatch);
      return true;
    } catch (err) {
      if (!isConflict(err)) this.log.warn('lease attempt failed', { error: String(err) });
      return false;
    } finally {
      this.lastAttempt = Date.now();
    }
  }

  /** Stops renewing and frees the Lease so a standby takes over without waiting for it to expire. */
  async release(): Promise<void> {
    this.stopped = true;
    if (!this.leading) return;
    this.leading = false;
    const { namespace, name } = this.cfg;
    try {
      const lease = await this.clients.coordination.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.cfg.identity) return;
      await this.clients.coordination.patchNamespacedLease(
        { name, namespace, body: { metadata: { resourceVersion: lease.metadata?.resourceVersion }, spec: { holderIdentity: null, leaseDurationSeconds: 1 } } },
        mergePatch,
      );
    } catch (err) {
      this.log.warn('lease release failed', { error: String(err) });
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
