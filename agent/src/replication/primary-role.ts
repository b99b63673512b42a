// The primary's side of one repository: streams every applied change to the connected replicas (after bringing each
// one up to date by range or snapshot), counts their acknowledgements by seq and releases writes waiting for their
// write concern. Streams are flow-controlled: when a replica's stream pushes back, nothing more is queued for it until
// it drains; then it resumes from the change window, or gets a snapshot when the window no longer reaches back.
// A snapshot, or a change too large to encode on the event loop, is encoded by a worker thread and streamed frame by
// frame as the replica takes them (snapshot-stream.ts); meanwhile nothing else is sent to that replica, and once its
// last frame is out the replica continues from the window after it.
import { GovcError } from '../errors.js';
import { Repository } from '../store/repository.js';
import { MemberState } from '../../../proto/gen/govc/v1/admin.js';
import { Subscribe } from '../../../proto/gen/govc/v1/replication.js';
import { ChangeWindow, WindowEntry, encoded } from './change-window.js';
import { ReplicaSink } from './peer.js';
import { SeqWaiters } from './seq-waiters.js';
import { FRAME_BYTES, type SnapshotFormat } from './snapshot.js';
import { streamChange, streamSnapshot, type FrameStream } from './snapshot-stream.js';
import { Assignment, requiredAcks } from './types.js';

interface Follower {
  member: string;
  sink: ReplicaSink;
  /** The primary's seq when the follower attached: it is in sync once it has acknowledged this. */
  syncedAt: number;
  /** Highest seq handed to the sink. */
  sentSeq: number;
  /** The sink's buffer is full: nothing is sent until it drains, then sending resumes from the window. */
  stalled: boolean;
  /** How its snapshots are encoded: as change records, or as packs for an agent that predates them. */
  snapshotFormat: SnapshotFormat;
  /** A snapshot or a large change being streamed to it from a worker: nothing else is sent until its last frame is out. */
  streaming?: FrameStream;
}

/** Changes larger than this (an import) are encoded by a worker when sent, not on the event loop (~1 ms per MiB). */
export const LARGE_CHANGE_BYTES = 4 * 1024 * 1024;

export interface CatchUp {
  kind: 'none' | 'range' | 'snapshot';
  changes: number;
}

export interface PrimaryOptions {
  self: string;
  httpAddr: string;
  concernTimeoutMs: number;
  /** Called for every snapshot sent (catch-up, or a stalled replica the window no longer reaches). */
  onSnapshot?: () => void;
}

export class PrimaryRole {
  private readonly followers = new Map<string, Follower>();
  /** Highest seq each member acknowledged in this epoch; kept across reconnects. */
  private readonly acked = new Map<string, number>();
  private readonly waiters = new SeqWaiters();
  private readonly memberSet: Set<string>;
  private readonly need: number;
  private readonly offDurable: () => void;

  constructor(
    private readonly repo: Repository,
    readonly assignment: Assignment,
    private readonly window: ChangeWindow,
    private readonly opts: PrimaryOptions,
  ) {
    this.memberSet = new Set([...assignment.members, assignment.primaryAddr]);
    this.need = requiredAcks(assignment.writeConcern, this.memberSet.size);
    // The primary counts toward its write concern only for what is on its own disk.
    this.offDurable = repo.onDurable(() => this.release());
  }

  /** Called for every change applied on the primary, after it entered the window. */
  changed(): void {
    for (const f of this.followers.values()) this.pump(f);
  }

  /** A replica subscribed: validate it, bring it up to date and stream to it from now on. Throws a GovcError to refuse. */
  attach(sub: Subscribe, sink: ReplicaSink): CatchUp {
    if (!this.memberSet.has(sub.member) || sub.member === this.opts.self) {
      throw new GovcError('conflict', 'not_a_member', `${sub.member} is not a replica of ${this.repo.name} in epoch ${this.assignment.epoch}`);
    }
    const replaced = this.followers.get(sub.member);
    replaced?.streaming?.cancel();
    replaced?.sink.close(new GovcError('conflict', 'replaced', 'a newer stream from the same replica replaced this one'));
    const seq = this.repo.seq;
    const f: Follower = { member: sub.member, sink, syncedAt: seq, sentSeq: seq, stalled: false, snapshotFormat: sub.snapshotRecords ? 'record' : 'pack' };
    this.followers.set(sub.member, f);
    if (!sink.send({ body: { $case: 'hello', value: { epoch: this.assignment.epoch, seq, httpAddr: this.opts.httpAddr, lastEpoch: this.repo.lastEpoch } } })) this.stall(f);
    const catchUp = this.catchUp(sub, f);
    // The replica's position counts right away: after a range catch-up it acknowledges again as it applies.
    if (catchUp.kind === 'none') this.ack(sub.member, sub.appliedSeq);
    return catchUp;
  }

  private catchUp(sub: Subscribe, f: Follower): CatchUp {
    const seq = this.repo.seq;
    if (!sub.forceSnapshot) {
      if (sub.appliedSeq === seq && sub.lastEpoch === this.repo.lastEpoch) return { kind: 'none', changes: 0 };
      // Same (seq, epoch) entry = same history up to it: only one primary writes in an epoch and never rewrites its log.
      const base = sub.appliedSeq === 0 ? undefined : this.window.at(sub.appliedSeq);
      const matches = sub.appliedSeq === 0 || (base !== undefined && base.change.epoch === sub.lastEpoch);
      if (matches && sub.appliedSeq < seq && this.window.at(sub.appliedSeq + 1)) {
        f.sentSeq = sub.appliedSeq;
        this.pump(f);
        return { kind: 'range', changes: seq - sub.appliedSeq };
      }
    }
    this.sendSnapshot(f);
    return { kind: 'snapshot', changes: seq };
  }

  /** Sends what the follower misses, from the window (or a snapshot when the window no longer reaches back), until
   * it has everything or its stream pushes back. */
  private pump(f: Follower): void {
    while (!f.stalled && f.streaming === undefined && f.sentSeq < this.repo.seq) {
      const entry = this.window.at(f.sentSeq + 1);
      if (!entry) {
        this.sendSnapshot(f);
        return;
      }
      if (entry.bytes === undefined && entry.size > LARGE_CHANGE_BYTES) {
        this.streamLargeChange(f, entry);
        return;
      }
      const ok = sendChange(f.sink, entry, this.repo.seq);
      f.sentSeq = entry.change.seq;
      if (!ok) this.stall(f);
    }
  }

  private stall(f: Follower): void {
    f.stalled = true;
    f.sink.onDrain(() => {
      if (this.followers.get(f.member) !== f) return; // replaced or detached meanwhile
      f.stalled = false;
      this.pump(f);
    });
  }

  /** Starts streaming a snapshot to `f`; when its last frame is out, `f` continues from the window at its seq. */
  private sendSnapshot(f: Follower): void {
    this.opts.onSnapshot?.();
    this.follow(f, streamSnapshot(this.repo, this.assignment.epoch, f.snapshotFormat, {
      send: (frame) => f.sink.send({ body: { $case: 'snapshot', value: frame } }),
      onDrain: (cb) => f.sink.onDrain(cb),
    }));
  }

  /** A change too large to encode on the event loop (an import): encoded and framed by a worker, streamed like a snapshot. */
  private streamLargeChange(f: Follower, entry: WindowEntry): void {
    const { seq, epoch } = entry.change;
    this.follow(f, streamChange(this.repo, entry.change, {
      send: ({ bytes, last }) => f.sink.send({ body: { $case: 'change', value: { seq, epoch, data: bytes, last, headSeq: this.repo.seq } } }),
      onDrain: (cb) => f.sink.onDrain(cb),
    }));
  }

  /** `f` waits for `stream`; once its last frame is out it continues from the window after the stream's seq. */
  private follow(f: Follower, stream: FrameStream): void {
    f.streaming = stream;
    const current = () => f.streaming === stream && this.followers.get(f.member) === f;
    stream.done.then((sent) => {
      if (!current()) return;
      f.streaming = undefined;
      if (!sent) return;
      f.sentSeq = stream.seq;
      this.pump(f);
    }, (e: unknown) => {
      if (!current()) return;
      f.streaming = undefined;
      // The worker failed (died, out of memory): the replica reconnects and asks again.
      f.sink.close(e instanceof GovcError ? e : new GovcError('unavailable', 'stream_failed', `streaming to ${f.member} failed: ${String(e)}`));
    });
  }

  detach(member: string, sink: ReplicaSink): void {
    const f = this.followers.get(member);
    if (f?.sink !== sink) return;
    f.streaming?.cancel();
    this.followers.delete(member);
  }

  ack(member: string, seq: number): void {
    if (seq <= (this.acked.get(member) ?? -1)) return;
    this.acked.set(member, seq);
    this.release();
  }

  private release(): void {
    this.waiters.release((target) => this.count(target) >= this.need);
  }

  private count(seq: number): number {
    let n = this.repo.durableSeq >= seq ? 1 : 0; // the primary has it on disk
    for (const [m, s] of this.acked) if (s >= seq && this.memberSet.has(m) && m !== this.opts.self) n++;
    return n;
  }

  /** Resolves when the write concern is met for `seq`; undefined when it already is (the common async case). */
  waitFor(seq: number): Promise<void> | undefined {
    if (this.need <= 1 || this.count(seq) >= this.need) return undefined;
    return this.waiters.wait(seq, this.opts.concernTimeoutMs, () => {
      const have = this.count(seq);
      const connected = [...this.followers.keys()].join(', ') || 'none';
      return new GovcError('unavailable', 'write_concern_unmet',
        `${this.assignment.writeConcern} write concern needs ${this.need} of ${this.memberSet.size} members to apply seq ${seq}; ` +
        `${have} did within ${this.opts.concernTimeoutMs} ms (connected replicas: ${connected}). The change stays on the primary but is not acknowledged.`);
    });
  }

  /** Stops acting as primary: waiting writes fail and every replica stream is closed. */
  stop(reason: GovcError): void {
    this.offDurable();
    this.waiters.failAll(reason);
    for (const f of this.followers.values()) {
      f.streaming?.cancel();
      f.sink.close(reason);
    }
    this.followers.clear();
  }

  members(): MemberState[] {
    return [...this.memberSet].filter((m) => m !== this.opts.self).sort().map((addr) => {
      const acked = this.acked.get(addr) ?? 0;
      const f = this.followers.get(addr);
      return {
        addr, ackedSeq: acked, connected: f !== undefined, inSync: f !== undefined && acked >= f.syncedAt,
        sentSeq: f?.sentSeq ?? 0, stalled: f?.stalled ?? false, bufferedMessages: f?.sink.buffered() ?? 0,
      };
    });
  }

  /** How far the slowest in-sync replica is behind (seq minus its acknowledged seq); 0 without in-sync replicas. */
  lag(): number {
    let min = this.repo.seq;
    for (const f of this.followers.values()) {
      const acked = this.acked.get(f.member) ?? 0;
      if (acked >= f.syncedAt) min = Math.min(min, acked);
    }
    return this.repo.seq - min;
  }

  /** Replica streams currently backpressured. */
  stalledCount(): number {
    let n = 0;
    for (const f of this.followers.values()) if (f.stalled) n++;
    return n;
  }
}

/** Sends one change (in frames of up to FRAME_BYTES, always all of them); false when the sink pushed back. */
export function sendChange(sink: ReplicaSink, entry: WindowEntry, headSeq: number): boolean {
  const bytes = encoded(entry);
  const { seq, epoch } = entry.change;
  if (bytes.length <= FRAME_BYTES) return sink.send({ body: { $case: 'change', value: { seq, epoch, data: bytes, last: true, headSeq } } });
  let ok = true;
  for (let at = 0; at < bytes.length; at += FRAME_BYTES) {
    const last = at + FRAME_BYTES >= bytes.length;
    ok = sink.send({ body: { $case: 'change', value: { seq, epoch, data: bytes.subarray(at, at + FRAME_BYTES), last, headSeq } } }) && ok;
  }
  return ok;
}
