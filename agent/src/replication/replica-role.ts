// A replica's side of one repository: keeps one stream open to the primary of its epoch (reconnecting with a short
// backoff), applies the primary's changes strictly in seq order through the journal, installs snapshots, and
// acknowledges what it applied once it is on its own disk. Anything from another epoch is refused. A quarantined copy
// (damaged files) subscribes asking for a snapshot and so re-seeds itself.
import { decodeChange } from '../persistence/change-codec.js';
import { Change } from '../store/repository.js';
import { PrimaryMessage, SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';
import { repoChecksum } from './checksum.js';
import { PeerConnector, PrimaryLink } from './peer.js';
import { snapshotChange } from './snapshot.js';
import { verifyChange } from './verify-change.js';
import { Assignment } from './types.js';
import { Repository } from '../store/repository.js';

export interface ReplicaHost {
  /** The live repository (a snapshot replaces it). */
  repo(): Repository;
  /** Replaces the repository with the snapshot's state (fresh journal). */
  installSnapshot(change: Change, meta: { createdAt: string }): void;
  /** A peer told of a newer epoch than ours. */
  newerEpoch(epoch: number): void;
  log: { warn(msg: string, meta?: Record<string, unknown>): void; info(msg: string, meta?: Record<string, unknown>): void };
}

const RETRY_MS = [50, 100, 200, 400, 800, 1000];

export class ReplicaRole {
  private link: PrimaryLink | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pendingChange: Buffer[] = [];
  private pendingSnapshot: SnapshotFrame[] = [];
  private helloSeq = -1;
  private forceSnapshot = false;
  /**
   * This copy holds this primary's history (up to its seq): it was at the primary's own (seq, epoch) at Hello, or it
   * installed the primary's snapshot or applied a change the primary streamed. Until then a seq as high as the
   * primary's proves nothing: a copy that diverged (e.g. a deposed primary with unacknowledged writes) can be there.
   */
  private descends = false;
  /** Asked this stream for a snapshot: the copy is not trusted until it is installed. */
  private snapshotAsked = false;
  /** Where the primary serves REST: from the assignment at first, then as its Hello says. */
  primaryHttp: string | undefined;
  inSync = false;
  /**
   * Caught up with the primary of this assignment at least once. Unlike inSync it survives the stream's end: when the
   * primary dies every stream ends, and failover must still tell the replicas that were in sync from new copies.
   */
  caughtUp = false;
  connected = false;
  /** The primary's seq as last heard (Hello, change and snapshot frames), for the lag gauge. */
  private primarySeq = 0;
  private helloWaiters: (() => void)[] = [];

  constructor(readonly assignment: Assignment, private readonly host: ReplicaHost, private readonly peers: PeerConnector, private readonly self: string) {
    this.primaryHttp = assignment.primaryHttpAddr;
  }

  start(): void {
    this.connect();
  }

  /** Drops the stream and starts over with a full snapshot (anti-entropy found a difference). */
  resync(): void {
    this.forceSnapshot = true;
    this.link?.close();
  }

  /** Stops following; `fenceEpoch` tells the (old) primary first that a newer epoch exists. */
  stop(fenceEpoch?: number): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.link && fenceEpoch !== undefined) {
      try {
        this.link.send({ body: { $case: 'fence', value: { epoch: fenceEpoch } } });
      } catch {
        // the stream is already gone; the old primary learns of the epoch another way
      }
    }
    this.link?.close();
    this.link = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    const repo = this.host.repo();
    // A quarantined copy re-seeds itself from the primary's snapshot. A healthy one subscribes once what it applied is
    // on its disk: the primary counts the position a Subscribe gives as acknowledged.
    if (repo.damage !== undefined) this.forceSnapshot = true;
    else if (repo.afterDurable(repo.seq, () => this.connect())) return;
    this.pendingChange = [];
    this.pendingSnapshot = [];
    this.helloSeq = -1;
    this.inSync = false;
    this.descends = false;
    this.snapshotAsked = this.forceSnapshot;
    const link = this.peers.stream(this.assignment.primaryAddr, (m) => this.onMessage(link, m), (err) => this.onEnd(link, err));
    this.link = link;
    link.send({
      body: {
        $case: 'subscribe',
        value: {
          repo: this.assignment.repo, epoch: this.assignment.epoch, appliedSeq: repo.seq, lastEpoch: repo.lastEpoch,
          checksum: '', member: this.self, forceSnapshot: this.forceSnapshot, snapshotRecords: true,
        },
      },
    });
  }

  private onEnd(link: PrimaryLink, err?: Error): void {
    if (link !== this.link) return;
    this.link = undefined;
    this.connected = false;
    this.inSync = false;
    if (this.stopped) return;
    const delay = RETRY_MS[Math.min(this.attempt++, RETRY_MS.length - 1)];
    if (err && this.attempt === 3) this.host.log.warn('replication stream to primary failing', { repo: this.assignment.repo, primary: this.assignment.primaryAddr, err: err.message });
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private onMessage(link: PrimaryLink, m: PrimaryMessage): void {
    if (link !== this.link || !m.body) return;
    try {
      switch (m.body.$case) {
        case 'hello': {
          const h = m.body.value;
          if (h.epoch !== this.assignment.epoch) {
            if (h.epoch > this.assignment.epoch) this.host.newerEpoch(h.epoch);
            throw new Error(`primary is at epoch ${h.epoch}, this replica follows epoch ${this.assignment.epoch}`);
          }
          this.helloSeq = h.seq;
          this.primarySeq = h.seq;
          const repo = this.host.repo();
          this.descends = !this.snapshotAsked && repo.seq === h.seq && repo.lastEpoch === h.lastEpoch;
          this.primaryHttp = h.httpAddr || this.primaryHttp;
          this.connected = true;
          for (const w of this.helloWaiters.splice(0)) w();
          this.attempt = 0;
          this.checkSynced();
          return;
        }
        case 'change': {
          const f = m.body.value;
          if (this.helloSeq < 0 || f.epoch > this.assignment.epoch) throw new Error(`unexpected change frame (epoch ${f.epoch})`);
          this.primarySeq = Math.max(this.primarySeq, f.headSeq, f.seq);
          this.pendingChange.push(f.data);
          if (!f.last) return;
          const data = this.pendingChange.length === 1 ? this.pendingChange[0] : Buffer.concat(this.pendingChange);
          this.pendingChange = [];
          this.applyChange(link, decodeChange(data));
          return;
        }
        case 'snapshot': {
          const f = m.body.value;
          if (this.helloSeq < 0 || f.epoch !== this.assignment.epoch) throw new Error(`unexpected snapshot frame (epoch ${f.epoch})`);
          this.primarySeq = Math.max(this.primarySeq, f.seq);
          this.pendingSnapshot.push(f);
          if (!f.last) return;
          const frames = this.pendingSnapshot;
          this.pendingSnapshot = [];
          const snapshot = snapshotChange(frames);
          verifyChange(snapshot, { readObject: () => undefined });
          this.host.installSnapshot(snapshot, { createdAt: f.createdAt });
          this.forceSnapshot = false;
          this.descends = true;
          this.host.log.info('installed snapshot from primary', { repo: this.assignment.repo, seq: f.seq });
          this.acknowledge(link);
          return;
        }
      }
    } catch (e) {
      this.host.log.warn('replication stream refused', { repo: this.assignment.repo, err: (e as Error).message });
      link.close();
    }
  }

  private applyChange(link: PrimaryLink, change: Change): void {
    const repo = this.host.repo();
    if (change.seq <= repo.seq) return; // already have it (a range that overlaps a snapshot)
    if (change.seq !== repo.seq + 1) throw new Error(`change ${change.seq} does not follow applied seq ${repo.seq}`);
    verifyChange(change, repo.objects);
    repo.applyRecorded(change);
    // The primary streams a range only from a position it matched with its own log.
    this.descends = true;
    this.acknowledge(link);
  }

  /** Acknowledges the applied seq once it is on this replica's disk (a quarantined copy never acknowledges it). */
  private acknowledge(link: PrimaryLink): void {
    const seq = this.host.repo().seq;
    const send = () => {
      if (link !== this.link) return;
      try {
        link.send({ body: { $case: 'ack', value: { appliedSeq: seq } } });
      } catch {
        // the stream just ended; the next one says where this replica is
      }
    };
    const durable = this.host.repo().whenDurable(seq);
    if (durable) durable.then(send, () => {});
    else send();
    this.checkSynced();
  }

  private checkSynced(): void {
    if (!this.inSync && this.descends && this.helloSeq >= 0 && this.host.repo().seq >= this.helloSeq) this.inSync = this.caughtUp = true;
  }

  /** The primary's REST address, waiting up to `ms` for the first Hello when it is not known yet. */
  async primaryHttpWithin(ms: number): Promise<string | undefined> {
    if (this.primaryHttp || this.stopped) return this.primaryHttp;
    await new Promise<void>((res) => {
      const t = setTimeout(res, ms);
      this.helloWaiters.push(() => {
        clearTimeout(t);
        res();
      });
    });
    return this.primaryHttp;
  }

  /** How many changes this replica is behind its primary, as last heard from it. */
  lag(): number {
    return Math.max(0, this.primarySeq - this.host.repo().seq);
  }

  /** The seq this replica has applied (anti-entropy re-checks only replicas that moved since they last matched). */
  appliedSeq(): number {
    return this.host.repo().seq;
  }

  /** This replica's checksum, for anti-entropy. */
  checksum(): { seq: number; checksum: string } {
    const repo = this.host.repo();
    return { seq: repo.seq, checksum: repoChecksum(repo) };
  }
}
