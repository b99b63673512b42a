// The primary's side of one repository: streams every applied change to the connected replicas (after bringing each
// one up to date by range or snapshot), counts their acknowledgements by seq and releases writes waiting for their
// write concern.
import { GovcError } from '../errors.js';
import { Repository } from '../store/repository.js';
import { MemberState } from '../../../proto/gen/govc/v1/admin.js';
import { Subscribe } from '../../../proto/gen/govc/v1/replication.js';
import { ChangeWindow, WindowEntry, encoded } from './change-window.js';
import { ReplicaSink } from './peer.js';
import { SeqWaiters } from './seq-waiters.js';
import { FRAME_BYTES, snapshotFrames } from './snapshot.js';
import { Assignment, requiredAcks } from './types.js';

interface Follower {
  member: string;
  sink: ReplicaSink;
  /** The primary's seq when the follower attached: it is in sync once it has acknowledged this. */
  syncedAt: number;
}

export interface CatchUp {
  kind: 'none' | 'range' | 'snapshot';
  changes: number;
}

export class PrimaryRole {
  private readonly followers = new Map<string, Follower>();
  /** Highest seq each member acknowledged in this epoch; kept across reconnects. */
  private readonly acked = new Map<string, number>();
  private readonly waiters = new SeqWaiters();
  private readonly memberSet: Set<string>;
  private readonly need: number;

  constructor(
    private readonly repo: Repository,
    readonly assignment: Assignment,
    private readonly window: ChangeWindow,
    private readonly opts: { self: string; httpAddr: string; concernTimeoutMs: number },
  ) {
    this.memberSet = new Set([...assignment.members, assignment.primaryAddr]);
    this.need = requiredAcks(assignment.writeConcern, this.memberSet.size);
  }

  /** Called for every change applied on the primary, after it entered the window. */
  changed(entry: WindowEntry): void {
    for (const f of this.followers.values()) sendChange(f.sink, entry);
  }

  /** A replica subscribed: validate it, bring it up to date and stream to it from now on. Throws a GovcError to refuse. */
  attach(sub: Subscribe, sink: ReplicaSink): CatchUp {
    if (!this.memberSet.has(sub.member) || sub.member === this.opts.self) {
      throw new GovcError('conflict', 'not_a_member', `${sub.member} is not a replica of ${this.repo.name} in epoch ${this.assignment.epoch}`);
    }
    this.followers.get(sub.member)?.sink.close(new GovcError('conflict', 'replaced', 'a newer stream from the same replica replaced this one'));
    const seq = this.repo.seq;
    sink.send({ body: { $case: 'hello', value: { epoch: this.assignment.epoch, seq, httpAddr: this.opts.httpAddr } } });
    const catchUp = this.catchUp(sub, sink);
    this.followers.set(sub.member, { member: sub.member, sink, syncedAt: seq });
    // The replica's position counts right away: after a range catch-up it acknowledges again as it applies.
    if (catchUp.kind === 'none') this.ack(sub.member, sub.appliedSeq);
    return catchUp;
  }

  private catchUp(sub: Subscribe, sink: ReplicaSink): CatchUp {
    const seq = this.repo.seq;
    if (!sub.forceSnapshot) {
      if (sub.appliedSeq === seq && sub.lastEpoch === this.repo.lastEpoch) return { kind: 'none', changes: 0 };
      // Same (seq, epoch) entry = same history up to it: only one primary writes in an epoch and never rewrites its log.
      const base = sub.appliedSeq === 0 ? undefined : this.window.at(sub.appliedSeq);
      const matches = sub.appliedSeq === 0 || (base !== undefined && base.change.epoch === sub.lastEpoch);
      const range = matches && sub.appliedSeq < seq ? this.window.after(sub.appliedSeq) : undefined;
      if (range && (range.length === 0 || range[0].change.seq === sub.appliedSeq + 1)) {
        for (const e of range) sendChange(sink, e);
        return { kind: 'range', changes: range.length };
      }
    }
    for (const frame of snapshotFrames(this.repo, this.assignment.epoch)) sink.send({ body: { $case: 'snapshot', value: frame } });
    return { kind: 'snapshot', changes: seq };
  }

  detach(member: string, sink: ReplicaSink): void {
    if (this.followers.get(member)?.sink === sink) this.followers.delete(member);
  }

  ack(member: string, seq: number): void {
    if (seq <= (this.acked.get(member) ?? -1)) return;
    this.acked.set(member, seq);
    this.waiters.release((target) => this.count(target) >= this.need);
  }

  private count(seq: number): number {
    let n = 1; // the primary applied it
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
    this.waiters.failAll(reason);
    for (const f of this.followers.values()) f.sink.close(reason);
    this.followers.clear();
  }

  members(): MemberState[] {
    return [...this.memberSet].filter((m) => m !== this.opts.self).sort().map((addr) => {
      const acked = this.acked.get(addr) ?? 0;
      const f = this.followers.get(addr);
      return { addr, ackedSeq: acked, connected: f !== undefined, inSync: f !== undefined && acked >= f.syncedAt };
    });
  }
}

export function sendChange(sink: ReplicaSink, entry: WindowEntry): void {
  const bytes = encoded(entry);
  const { seq, epoch } = entry.change;
  if (bytes.length <= FRAME_BYTES) {
    sink.send({ body: { $case: 'change', value: { seq, epoch, data: bytes, last: true } } });
    return;
  }
  for (let at = 0; at < bytes.length; at += FRAME_BYTES) {
    const last = at + FRAME_BYTES >= bytes.length;
    sink.send({ body: { $case: 'change', value: { seq, epoch, data: bytes.subarray(at, at + FRAME_BYTES), last } } });
  }
}
