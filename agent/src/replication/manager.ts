// Per-repository replication roles on this agent: applies the operator's assignments (epochs only grow, persisted),
// runs the primary or replica side, fences itself on hearing of a newer epoch, and answers the REST transport's
// questions (serve here or forward, wait for a write concern, wait for a sequence number). Repositories this agent does
// not hold are forwarded along the routes the operator publishes.
import { GovcError, invalid } from '../errors.js';
import { withJournalRecord } from '../persistence/change-codec.js';
import { Change, Repository, damagedError } from '../store/repository.js';
import { RepositoryStore } from '../store/repository-store.js';
import { RepoState, Role as WireRole, WriteConcern as WireConcern } from '../../../proto/gen/govc/v1/admin.js';
import { ChecksumReply, Subscribe } from '../../../proto/gen/govc/v1/replication.js';
import { AssignmentFile, StoredAssignment } from './assignment-file.js';
import { ChangeWindow } from './change-window.js';
import { repoChecksum } from './checksum.js';
import { RouteEntry, RoutingTable } from './routing-table.js';
import { WindowBudget } from './window-budget.js';
import { ReplicationMetrics, createReplicationMetrics } from './metrics.js';
import { PeerConnector, ReplicaSink } from './peer.js';
import { PrimaryRole } from './primary-role.js';
import { ReplicaRole } from './replica-role.js';
import { SeqWaiters } from './seq-waiters.js';
import { Assignment } from './types.js';

export interface ReplicationOptions {
  store: RepositoryStore;
  dataDir: string;
  /** This agent's advertised gRPC address: its identity among peers. */
  self: string;
  /** Where this agent serves REST, told to replicas for forwarding. */
  httpAddr: string;
  peers: PeerConnector;
  log: { warn(msg: string, meta?: Record<string, unknown>): void; info(msg: string, meta?: Record<string, unknown>): void };
  concernTimeoutMs: number;
  /** How long a replica waits for a read's X-Govc-Seq before forwarding the read to the primary. */
  readWaitMs: number;
  /** Budget shared by every repository's change window (default 256 MiB). */
  windowBytes?: number;
}

interface Entry {
  stored: StoredAssignment;
  window: ChangeWindow;
  primary?: PrimaryRole;
  replica?: ReplicaRole;
  /** Readers waiting for this repository's applied seq (read-your-writes on a replica). */
  seqWaiters: SeqWaiters;
  unlisten?: () => void;
  /** The epoch a replica role of this entry caught up in: survives the role (fencing, re-activation) for failover. */
  caughtUpIn?: number;
}

export type Route = { kind: 'local' } | { kind: 'forward'; to: string };

export class ReplicationManager {
  private readonly entries = new Map<string, Entry>();
  private readonly file: AssignmentFile;
  /** The newest assignment accepted per repository, durable or still being saved: what new ones are checked against. */
  private readonly accepted = new Map<string, StoredAssignment>();
  private readonly routes = new RoutingTable();
  readonly budget: WindowBudget;
  readonly metrics: ReplicationMetrics = createReplicationMetrics({
    lag: () => this.lag(),
    windowBytes: () => this.budget.usedBytes,
    stalledStreams: () => {
      let n = 0;
      for (const e of this.entries.values()) n += e.primary?.stalledCount() ?? 0;
      return n;
    },
  });
  draining = false;

  constructor(private readonly opts: ReplicationOptions) {
    this.file = new AssignmentFile(opts.dataDir);
    this.budget = new WindowBudget(opts.windowBytes ?? 256 * 1024 * 1024);
  }

  get self(): string {
    return this.opts.self;
  }

  get httpAddr(): string {
    return this.opts.httpAddr;
  }

  /**
   * Resumes the roles persisted by a previous run, except acting as primary: while this agent was down the operator
   * may have promoted another copy, and replicas still in the old epoch would acknowledge its writes. It stays fenced
   * (state says so) until the operator assigns it again, which it does only if it still records it as primary.
   */
  start(): void {
    for (const stored of this.file.loadAll()) {
      this.accepted.set(stored.assignment.repo, stored);
      this.activate(stored, '', true);
    }
  }

  stop(): void {
    for (const e of this.entries.values()) this.deactivate(e, new GovcError('unavailable', 'shutting_down', 'agent is stopping'));
  }

  /** Answers once the assignment is durable (a restart never forgets an acknowledged one), and only then acts on it. */
  async assign(a: Assignment, defaultBranch: string): Promise<RepoState> {
    if (a.role === 'primary' && a.primaryAddr !== this.opts.self) {
      throw invalid('invalid_assignment', `role primary needs primary_addr to be this agent (${this.opts.self}), got ${a.primaryAddr}`);
    }
    if (a.role === 'replica' && a.primaryAddr === this.opts.self) throw invalid('invalid_assignment', 'a replica cannot be its own primary');
    const prev = this.accepted.get(a.repo);
    if (prev) {
      const known = Math.max(prev.assignment.epoch, prev.fencedAt ?? 0);
      if (a.epoch < known) throw new GovcError('conflict', 'stale_epoch', `epoch ${a.epoch} is older than epoch ${known} this agent knows for ${a.repo}`);
      const p = prev.assignment;
      if (a.epoch === p.epoch && (a.role !== p.role || a.primaryAddr !== p.primaryAddr)) {
        throw new GovcError('conflict', 'epoch_conflict', `epoch ${a.epoch} already names ${p.primaryAddr} primary of ${a.repo}; a new primary needs a new epoch`);
      }
    }
    const stored: StoredAssignment = { assignment: { ...a, members: [...new Set(a.members)] } };
    if (prev?.fencedAt !== undefined && prev.fencedAt > a.epoch) stored.fencedAt = prev.fencedAt;
    this.accepted.set(a.repo, stored);
    await this.file.save(stored);
    // Saves complete in order, so activations do too. Meanwhile the repository may have been removed, or fenced.
    const now = this.accepted.get(a.repo);
    if (!now) throw new GovcError('not_found', 'repo_removed', `repository ${a.repo} was removed from this agent`);
    const fencedAt = Math.max(stored.fencedAt ?? 0, now.fencedAt ?? 0, this.entries.get(a.repo)?.stored.fencedAt ?? 0);
    this.activate(fencedAt > a.epoch ? { ...stored, fencedAt } : stored, defaultBranch);
    return this.state(a.repo);
  }

  /** Answers once the removal is durable. */
  async remove(repo: string, epoch: number): Promise<void> {
    const e = this.entries.get(repo);
    const known = this.accepted.get(repo)?.assignment.epoch ?? 0;
    if (epoch > 0 && epoch < known) {
      throw new GovcError('conflict', 'stale_epoch', `epoch ${epoch} is older than epoch ${known} this agent knows for ${repo}`);
    }
    this.accepted.delete(repo);
    if (e) {
      this.deactivate(e, new GovcError('not_found', 'repo_removed', `repository ${repo} was removed from this agent`));
      e.unlisten?.();
      e.window.clear();
      this.entries.delete(repo);
    }
    const deleted = this.opts.store.has(repo) ? this.opts.store.delete(repo) : undefined;
    await Promise.all([this.file.remove(repo), deleted]);
  }

  /**
   * Admin.Fence: raises the epoch known for `repo` to `epoch` (refusing lower ones, like assign) and answers the state,
   * final for that epoch: a fenced copy applies and accepts nothing more until assigned again.
   */
  async fenceTo(repo: string, epoch: number): Promise<RepoState> {
    const e = this.entries.get(repo);
    const base = this.accepted.get(repo) ?? e?.stored;
    if (!e || !base) throw new GovcError('not_found', 'repo_not_found', `repository ${JSON.stringify(repo)} is not assigned to this agent`);
    const known = Math.max(base.assignment.epoch, base.fencedAt ?? 0);
    if (epoch < known) throw new GovcError('conflict', 'stale_epoch', `epoch ${epoch} is older than epoch ${known} this agent knows for ${repo}`);
    // Acts at once (nothing more is applied or accepted from here on); answers once a restart would remember it.
    await this.fence(repo, epoch);
    return this.state(repo);
  }

  /**
   * This agent learnt that `epoch` exists for `repo`: a primary of an older epoch stops at once. The returned promise
   * resolves once the fence is durable (callers that answer someone about it wait for it).
   */
  fence(repo: string, epoch: number): Promise<void> {
    const e = this.entries.get(repo);
    // The newest accepted assignment: one still being saved is fenced too (inert: neither primary nor replica).
    const base = this.accepted.get(repo) ?? e?.stored;
    if (!e || !base || epoch <= Math.max(base.assignment.epoch, base.fencedAt ?? 0)) return Promise.resolve();
    const stored: StoredAssignment = { ...base, fencedAt: epoch };
    this.accepted.set(repo, stored);
    const durable = this.file.save(stored);
    durable.catch((err: unknown) => this.opts.log.warn('fence not saved', { repo, epoch, error: String(err) }));
    if (e.primary) this.metrics.fenced.inc();
    this.opts.log.warn('fenced: a newer epoch exists', { repo, epoch, had: e.stored.assignment.epoch });
    this.activate(stored, '');
    return durable;
  }

  drain(): number {
    this.draining = true;
    let n = 0;
    for (const e of this.entries.values()) {
      if (e.primary) {
        this.deactivate(e, new GovcError('unavailable', 'draining', 'agent is draining'));
        this.guard(e);
        n++;
      }
    }
    return n;
  }

  private activate(stored: StoredAssignment, defaultBranch: string, resumed = false): void {
    const a = stored.assignment;
    let e = this.entries.get(a.repo);
    if (e) {
      const newest = Math.max(a.epoch, stored.fencedAt ?? 0);
      const fenceEpoch = newest > e.stored.assignment.epoch ? newest : undefined;
      this.deactivate(e, new GovcError('unavailable', 'not_primary', `this agent no longer acts as primary of ${a.repo} (epoch ${newest})`), fenceEpoch);
    } else {
      e = { stored, window: new ChangeWindow(this.budget), seqWaiters: new SeqWaiters() };
      this.entries.set(a.repo, e);
    }
    e.stored = stored;
    const { store } = this.opts;
    const repo = store.has(a.repo) ? store.get(a.repo) : store.create({ name: a.repo, defaultBranch: defaultBranch || undefined });
    this.watch(e, repo);
    const fenced = stored.fencedAt !== undefined && stored.fencedAt > a.epoch;
    if (a.role === 'primary' && !fenced && !this.draining && !resumed) {
      repo.epoch = a.epoch;
      e.primary = new PrimaryRole(repo, a, e.window, {
        self: this.opts.self, httpAddr: this.opts.httpAddr, concernTimeoutMs: this.opts.concernTimeoutMs, onSnapshot: () => this.metrics.snapshotsSent.inc(),
      });
    } else if (a.role === 'replica' && !fenced) {
      e.replica = new ReplicaRole(a, {
        repo: () => this.opts.store.get(a.repo),
        installSnapshot: (change, meta, prepared) => this.installSnapshot(e!, change, meta.createdAt, prepared),
        newerEpoch: (epoch) => this.fence(a.repo, epoch),
        log: this.opts.log,
      }, this.opts.peers, this.opts.self);
      e.replica.start();
    }
    this.guard(e);
  }

  /** `fenceEpoch`: a newer epoch to tell the old primary about as the replica stream closes. */
  private deactivate(e: Entry, reason: GovcError, fenceEpoch?: number): void {
    if (e.replica?.caughtUp) e.caughtUpIn = e.replica.assignment.epoch;
    e.primary?.stop(reason);
    e.primary = undefined;
    e.replica?.stop(fenceEpoch);
    e.replica = undefined;
  }

  /** Local writes are allowed only on the primary of the current epoch. */
  private guard(e: Entry): void {
    const repo = this.opts.store.has(e.stored.assignment.repo) ? this.opts.store.get(e.stored.assignment.repo) : undefined;
    if (!repo) return;
    if (e.primary) return repo.setGuard(undefined);
    const a = e.stored.assignment;
    repo.setGuard(() => {
      throw new GovcError('unavailable', 'not_primary', `this agent is not the primary of ${a.repo} (epoch ${Math.max(a.epoch, e.stored.fencedAt ?? 0)}); send writes to the primary`);
    });
  }

  private watch(e: Entry, repo: Repository): void {
    e.unlisten?.();
    // Changes stream to replicas as they are applied; reads wait for what is committed.
    const offChange = repo.onChange((_r, change) => {
      e.window.push(change);
      e.primary?.changed();
    });
    const offCommit = repo.onCommit((seq) => e.seqWaiters.release((target) => seq >= target));
    const offDamage = repo.onDamage((damage) => this.damaged(e, damage));
    e.unlisten = () => {
      offChange();
      offCommit();
      offDamage();
    };
  }

  /**
   * The repository was quarantined at runtime (a journal write or sync failed). A replica re-seeds itself from a
   * snapshot; a primary stops serving its replicas (its copy on disk is not what they hold) until it is failed over.
   */
  private damaged(e: Entry, damage: string): void {
    const name = e.stored.assignment.repo;
    e.replica?.resync();
    e.primary?.stop(damagedError(name, damage));
  }

  /** A quarantined copy neither serves replicas nor answers for anti-entropy. */
  private refuseIfDamaged(repo: string): void {
    const r = this.opts.store.has(repo) ? this.opts.store.get(repo) : undefined;
    if (r?.damage !== undefined) throw damagedError(repo, r.damage);
  }

  /** `prepared`: a repository already holding the snapshot's objects (a worker checked them), and its journal record. */
  private installSnapshot(e: Entry, change: Change, createdAt: string, prepared?: { repo: Repository; journal?: Buffer }): void {
    const { store } = this.opts;
    const name = e.stored.assignment.repo;
    const old = store.has(name) ? store.get(name) : undefined;
    const meta = { name, description: change.meta?.description ?? '', defaultBranch: change.meta?.defaultBranch ?? 'main', createdAt: createdAt || old?.meta.createdAt || new Date().toISOString() };
    // Persistence gives it a fresh journal, renamed over the old one once the snapshot is durable.
    let repo: Repository;
    if (prepared) {
      repo = prepared.repo;
      Object.assign(repo.meta, meta);
    } else repo = new Repository(meta);
    store.replace(repo);
    e.window.clear();
    this.watch(e, repo);
    this.guard(e);
    withJournalRecord(change, prepared?.journal, () => repo.applyRecorded(change));
    this.metrics.snapshotsInstalled.inc();
  }

  // ---- replication transport entry points ----

  attachReplica(sub: Subscribe, sink: ReplicaSink): { ack(seq: number): void; fence(epoch: number): void; detach(): void } {
    const e = this.entries.get(sub.repo);
    const known = e ? Math.max(e.stored.assignment.epoch, e.stored.fencedAt ?? 0) : 0;
    if (e && sub.epoch > known) this.fence(sub.repo, sub.epoch);
    if (!e || !e.primary || sub.epoch !== e.stored.assignment.epoch) {
      throw new GovcError('conflict', 'not_primary', `this agent is not the primary of ${sub.repo} in epoch ${sub.epoch} (it knows epoch ${known})`);
    }
    // Its empty quarantined copy must never reach a replica as a snapshot.
    this.refuseIfDamaged(sub.repo);
    const primary = e.primary;
    primary.attach(sub, sink);
    return {
      ack: (seq) => primary.ack(sub.member, seq),
      fence: (epoch) => this.fence(sub.repo, epoch),
      detach: () => primary.detach(sub.member, sink),
    };
  }

  checksum(repo: string, epoch: number): ChecksumReply {
    const e = this.entries.get(repo);
    if (!e?.primary || (epoch !== 0 && epoch !== e.stored.assignment.epoch)) {
      if (e && epoch > e.stored.assignment.epoch) this.fence(repo, epoch);
      throw new GovcError('conflict', 'not_primary', `this agent is not the primary of ${repo} in epoch ${epoch}`);
    }
    this.refuseIfDamaged(repo);
    const r = this.opts.store.get(repo);
    return { seq: r.seq, checksum: repoChecksum(r), epoch: e.stored.assignment.epoch };
  }

  /** Replicas this agent follows as, for anti-entropy. */
  replicas(): ReplicaRole[] {
    const out: ReplicaRole[] = [];
    for (const e of this.entries.values()) if (e.replica) out.push(e.replica);
    return out;
  }

  // ---- REST transport entry points ----

  isAssigned(repo: string): boolean {
    return this.entries.has(repo);
  }

  /** Publishes routes (Admin.SetRoutes): where the primary of a repository serves REST. */
  async setRoutes(routes: RouteEntry[], replace: boolean): Promise<{ applied: number; ignored: number; total: number }> {
    const result = this.routes.set(routes, replace);
    // A route of a newer epoch means this copy was replaced, e.g. a primary restarted or woken after a failover:
    // it must stop acting on its old epoch (no local writes, no stale reads) and forward along the route. Answered
    // once those fences are durable (one write for all of them).
    await Promise.all(routes.map((r) => this.fence(r.repo, r.epoch)));
    return result;
  }

  /** Where a request for a repository this agent does not hold goes: its routed primary, if any (else served here). */
  routeUnassigned(repo: string): Route {
    const r = this.routes.get(repo);
    return r && r.primaryHttpAddr !== this.opts.httpAddr ? { kind: 'forward', to: r.primaryHttpAddr } : { kind: 'local' };
  }

  /** A member that does not know its primary yet (or was fenced) may follow a route at least as new as its epoch. */
  private routedPrimary(e: Entry): string | undefined {
    const r = this.routes.get(e.stored.assignment.repo);
    const known = Math.max(e.stored.assignment.epoch, e.stored.fencedAt ?? 0);
    return r && r.epoch >= known && r.primaryHttpAddr !== this.opts.httpAddr ? r.primaryHttpAddr : undefined;
  }

  /** Where a write to `repo` goes. */
  async routeWrite(repo: string): Promise<Route> {
    const e = this.entries.get(repo);
    if (!e || e.primary) return { kind: 'local' };
    // Just assigned: the primary's address comes with its first Hello.
    const to = (e.replica ? await e.replica.primaryHttpWithin(this.routedPrimary(e) ? 0 : 1000) : undefined) ?? this.routedPrimary(e);
    if (to) return { kind: 'forward', to };
    // A copy quarantined here that knows no primary to send the write to (e.g. a damaged primary resumed fenced after
    // a restart, which nothing can replace): its damage is the answer, not "ask the primary".
    const damage = this.opts.store.has(repo) ? this.opts.store.get(repo).damage : undefined;
    if (damage !== undefined) throw damagedError(repo, damage);
    throw new GovcError('unavailable', 'not_primary', `this agent is not the primary of ${repo} and does not know the current one yet`);
  }

  /** Where a read of `repo` is served: here if this agent is the primary or has applied `minSeq`, else at the primary. */
  async routeRead(repo: string, minSeq: number | undefined): Promise<Route> {
    const e = this.entries.get(repo);
    if (!e || e.primary) return { kind: 'local' };
    const to = (e.replica ? await e.replica.primaryHttpWithin(this.routedPrimary(e) ? 0 : this.opts.readWaitMs) : undefined) ?? this.routedPrimary(e);
    if (minSeq === undefined) return to ? { kind: 'forward', to } : { kind: 'local' };
    // Served here once this copy's commit point has the client's write: what it reads is committed, like any read.
    const r = this.opts.store.get(repo);
    if (r.committedSeq >= minSeq) return { kind: 'local' };
    try {
      await e.seqWaiters.wait(minSeq, this.opts.readWaitMs, () => new Error('timeout'));
      return { kind: 'local' };
    } catch {
      if (to) return { kind: 'forward', to };
      throw new GovcError('unavailable', 'seq_not_reached', `this replica has committed seq ${r.committedSeq} of ${repo}, not ${minSeq}, and cannot reach the primary`);
    }
  }

  /** Resolves once the repository's write concern holds for `seq`; undefined when nothing needs waiting for. */
  waitForConcern(repo: string, seq: number): Promise<void> | undefined {
    return this.entries.get(repo)?.primary?.waitFor(seq);
  }

  /** Largest lag over the repositories this agent is primary / a replica of (the lag gauge). */
  lag(): { primary: number; replica: number } {
    let primary = 0;
    let replica = 0;
    for (const e of this.entries.values()) {
      if (e.primary) primary = Math.max(primary, e.primary.lag());
      if (e.replica) replica = Math.max(replica, e.replica.lag());
    }
    return { primary, replica };
  }

  state(repo: string): RepoState {
    const { state, held } = this.stateWithoutRefs(repo);
    if (!held) return state;
    // The copy as replication sees it, at its applied seq (pending changes included), like the checksum: listed once.
    const refs = held.newest.listRefs('');
    return { ...state, refs: refs.map(([name, id]) => ({ name, id })), checksum: repoChecksum(held, refs) };
  }

  /**
   * A repository's state with `refs` and `checksum` left empty, and the copy they describe (none when damaged or not
   * held): for a caller that fills them itself, e.g. in a worker when there are many (transports/grpc/repo-state.ts).
   */
  stateWithoutRefs(repo: string): { state: RepoState; held?: Repository } {
    const e = this.entries.get(repo);
    const r = this.opts.store.has(repo) ? this.opts.store.get(repo) : undefined;
    if (!e && !r) throw new GovcError('not_found', 'repo_not_found', `repository ${JSON.stringify(repo)} is not on this agent`);
    const a = e?.stored.assignment;
    // A quarantined copy counts as holding nothing: never chosen for failover, never in sync.
    const damage = r?.damage;
    const held = damage === undefined ? r : undefined;
    const state: RepoState = {
      repo,
      role: !a ? WireRole.ROLE_UNSPECIFIED : a.role === 'primary' ? WireRole.ROLE_PRIMARY : WireRole.ROLE_REPLICA,
      epoch: a ? Math.max(a.epoch, e!.stored.fencedAt ?? 0) : 0,
      appliedSeq: held?.seq ?? 0,
      lastEpoch: held?.lastEpoch ?? 0,
      refs: [],
      checksum: '',
      primaryAddr: a?.primaryAddr ?? '',
      writeConcern: !a ? WireConcern.WRITE_CONCERN_UNSPECIFIED : a.writeConcern === 'async' ? WireConcern.WRITE_CONCERN_ASYNC : a.writeConcern === 'quorum' ? WireConcern.WRITE_CONCERN_QUORUM : WireConcern.WRITE_CONCERN_ALL,
      members: e?.primary?.members() ?? [],
      // For failover: a replica that caught up in this epoch (its stream to a dead primary has ended, so not "live").
      inSync: held !== undefined && (e?.primary !== undefined || (e?.replica?.caughtUp ?? false) || (a !== undefined && e?.caughtUpIn === a.epoch)),
      fenced: e !== undefined && a?.role === 'primary' && e.primary === undefined,
      assignmentEpoch: a?.epoch ?? 0,
      damaged: damage !== undefined,
      damage: damage ?? '',
    };
    return { state, held };
  }
}
