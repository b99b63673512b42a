// A replica's side of one repository: keeps one stream open to the primary of its epoch (reconnecting with a short
// backoff), applies the primary's changes strictly in seq order through the journal, installs snapshots, and
// acknowledges what it applied once it is on its own disk. Anything from another epoch is refused. A quarantined copy
// (damaged files) subscribes asking for a snapshot and so re-seeds itself.
// A change or snapshot of more than one frame is decoded and checked in a worker and its objects adopted in bounded
// turns (replica-install.ts), then applied in one step; meanwhile the stream's later messages wait their turn, in order.
import { decodeChange } from '../persistence/change-codec.js';
import { Change } from '../store/repository.js';
import { PrimaryMessage, SnapshotFrame } from '../../../proto/gen/govc/v1/replication.js';
import { repoChecksum } from './checksum.js';
import { PeerConnector, PrimaryLink } from './peer.js';
import { applyPrepared, prepareOffLoop, SharedParts, type PreparedChange } from './replica-install.js';
import { snapshotChange } from './snapshot.js';
import { verifyChange } from './verify-change.js';
import { Assignment } from './types.js';
import { Repository } from '../store/repository.js';

export interface ReplicaHost {
  /** The live repository (a snapshot replaces it). */
  repo(): Repository;
  /** Replaces the repository with the snapshot's state (fresh journal). */
  installSnapshot(change: Change, meta: { createdAt: string }, prepared?: { repo: Repository; journal?: Buffer }): void;
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
  /** A change of several frames, as they arrive. */
  private changeParts: SharedParts | undefined;
  /** A snapshot of several frames, as they arrive; `record` once a frame held change bytes (else a pack). */
  private snapshotParts: SharedParts | undefined;
  private snapshotIsRecord = false;
  /** A large change or snapshot being installed off the loop; the stream's messages wait in `backlog` meanwhile. */
  private installing: Promise<void> | undefined;
  private backlog: PrimaryMessage[] = [];
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
    if (this.installing) {
      // Subscribes from where the install leaves the copy.
      void this.installing.then(() => this.connect());
      return;
    }
    if (repo.damage !== undefined) this.forceSnapshot = true;
    else if (repo.afterDurable(repo.seq, () => this.connect())) return;
    this.changeParts = undefined;
    this.snapshotParts = undefined;
    this.snapshotIsRecord = false;
    this.backlog = [];
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
    if (this.installing) {
      this.backlog.push(m);
      return;
    }
    this.handle(link, m);
  }

  private handle(link: PrimaryLink, m: PrimaryMessage): void {
    if (!m.body) return;
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
          if (f.last && this.changeParts === undefined) {
            this.applyChange(link, decodeChange(f.data));
            return;
          }
          (this.changeParts ??= new SharedParts()).push(f.data);
          if (!f.last) return;
          const parts = this.changeParts;
          this.changeParts = undefined;
          this.installLargeChange(link, parts, f.seq);
          return;
        }
        case 'snapshot': {
          const f = m.body.value;
          if (this.helloSeq < 0 || f.epoch !== this.assignment.epoch) throw new Error(`unexpected snapshot frame (epoch ${f.epoch})`);
          this.primarySeq = Math.max(this.primarySeq, f.seq);
          if (f.last && this.snapshotParts === undefined) {
            const snapshot = snapshotChange([f]);
            verifyChange(snapshot, { readObject: () => undefined });
            this.host.installSnapshot(snapshot, { createdAt: f.createdAt });
            this.snapshotInstalled(link, f.seq);
            return;
          }
          const parts = (this.snapshotParts ??= new SharedParts());
          if (f.change.length > 0) this.snapshotIsRecord = true;
          parts.push(f.change.length > 0 ? f.change : f.pack);
          if (!f.last) return;
          const format = this.snapshotIsRecord ? 'record' : 'pack';
          this.snapshotParts = undefined;
          this.snapshotIsRecord = false;
          this.installLargeSnapshot(link, parts, format, f);
          return;
        }
      }
    } catch (e) {
      this.refused(link, e);
    }
  }

  private refused(link: PrimaryLink, e: unknown): void {
    this.host.log.warn('replication stream refused', { repo: this.assignment.repo, err: (e as Error).message });
    link.close();
  }

  private snapshotInstalled(link: PrimaryLink, seq: number): void {
    this.forceSnapshot = false;
    this.host.log.info('installed snapshot from primary', { repo: this.assignment.repo, seq });
    // Installed after its stream ended (off the loop): the next stream's Hello tells where the copy stands.
    if (link !== this.link) return;
    this.descends = true;
    this.acknowledge(link);
  }

  /**
   * Runs `work` (a large install) while the stream's later messages wait in the backlog; then handles them in order
   * (one may start the next install). A refusal, or a worker that died, closes the stream: the next one re-syncs.
   */
  private offLoop(link: PrimaryLink, work: () => Promise<void>): void {
    this.installing = work().catch((e: unknown) => this.refused(link, e)).finally(() => {
      this.installing = undefined;
      const waiting = this.backlog;
      this.backlog = [];
      for (let i = 0; i < waiting.length; i++) {
        if (link !== this.link) return;
        if (this.installing) {
          this.backlog.push(...waiting.slice(i));
          return;
        }
        this.handle(link, waiting[i]);
      }
    });
  }

  /** A change of several frames: checked in a worker, adopted in bounded turns, applied in one step at its seq. */
  private installLargeChange(link: PrimaryLink, parts: SharedParts, seq: number): void {
    const repo = this.host.repo();
    if (seq <= repo.seq) return; // already have it (a range that overlaps a snapshot)
    if (seq !== repo.seq + 1) throw new Error(`change ${seq} does not follow applied seq ${repo.seq}`);
    const current = () => !this.stopped && this.host.repo() === repo && repo.seq + 1 === seq;
    this.offLoop(link, async () => {
      const prepared = await prepareOffLoop(parts, {
        seq, base: repo.objects.snapshot(), journal: repo.tracksDurability, into: repo.objects, wanted: current,
      });
      if (!prepared || !current()) return;
      applyPrepared(repo, prepared);
      // The change is the primary's, whether or not its stream is still open; only an open one hears of it.
      if (link !== this.link) return;
      this.descends = true;
      this.acknowledge(link);
    });
  }

  /** A snapshot of several frames: checked in a worker, adopted into a repository of its own, then swapped in at once. */
  private installLargeSnapshot(link: PrimaryLink, parts: SharedParts, format: 'record' | 'pack', last: SnapshotFrame): void {
    const persisted = this.host.repo().tracksDurability;
    this.offLoop(link, async () => {
      const into = new Repository({ name: this.assignment.repo, description: '', defaultBranch: 'main', createdAt: '' });
      const packChange = format === 'pack' ? {
        seq: last.seq, epoch: last.lastEpoch, refs: last.refs.map((r) => ({ name: r.name, old: null, new: r.id })),
        meta: { defaultBranch: last.defaultBranch, description: last.description },
      } : undefined;
      const prepared: PreparedChange | undefined = await prepareOffLoop(parts, {
        seq: last.seq, format, packChange, journal: persisted, into: into.objects, wanted: () => !this.stopped,
      });
      if (!prepared || this.stopped) return;
      this.host.installSnapshot(prepared.change, { createdAt: last.createdAt }, { repo: into, journal: prepared.journal });
      this.snapshotInstalled(link, last.seq);
    });
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
