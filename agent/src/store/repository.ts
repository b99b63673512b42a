// One repository held in memory: its objects, its refs and HEAD. Every mutation goes through `apply`, which checks all ref
// updates as compare-and-swap first and then stores objects and records the ref moves in one synchronous step, so a
// change is either wholly there or not at all. Each applied change gets the next sequence number; persistence and
// replication consume the same change records.
//
// The commit point: readers see the repository as of its committed seq, writers as of its newest. A change is applied
// (its objects stored at once, its refs and metadata kept in the pending overlay, pending-changes.ts) and becomes
// visible — refs, metadata, seq, the objects an export or checksum counts — only when `commitThrough` reaches it: once it
// is durable (persistence calls markDurable, which commits through the durable seq), at once when nothing tracks
// durability (memory only). The visible refs stay one plain Map, so reads pay nothing for the split; only writers
// consult the overlay (`newest`, a RepoView over committed + pending): their compare-and-swap checks and what they build
// on include every change applied before them, and since the journal makes changes durable in seq order, a write that
// builds on a pending change is never acknowledged before it.
// A repository whose disk copy no longer matches (corrupt journal, failed write or fsync) is quarantined
// (`markDamaged`): it refuses every change, and nothing pending ever becomes visible.
import { GovcError, conflict, invalid } from '../errors.js';
import { ObjectId } from '../git/objects.js';
import { refNameProblem } from '../git/refname.js';
import type { Change, MetaChange, RefUpdate, RepoMeta, StoredObject } from './change.js';
import { ObjectStore, type StoreSnapshot } from './object-store.js';
import { PendingChanges, type PendingEntry } from './pending-changes.js';

export type { Change, MetaChange, RefUpdate, RepoMeta, StoredObject } from './change.js';

/** What reading refs and objects needs: a repository as readers see it (committed), or as writers do (`newest`). */
export interface RepoView {
  readonly name: string;
  readonly objects: ObjectStore;
  readonly meta: Readonly<RepoMeta>;
  /** `refs/heads/<default branch>`. */
  readonly headRef: string;
  getRef(name: string): ObjectId | undefined;
  /** Refs whose names start with `prefix`, sorted by name. */
  listRefs(prefix?: string): [string, ObjectId][];
}

export type ChangeListener = (repo: Repository, change: Change) => void;
/** Hands a change to the journal before it is applied; throwing rejects the change with nothing applied. */
export type ChangeJournal = (repo: Repository, change: Change) => void;
/** Runs before a local write is checked; throwing (e.g. "not the primary") rejects it with nothing applied. */
export type WriteGuard = (repo: Repository) => void;

const NO_OBJECTS: StoredObject[] = [];

/** 503 for anything asked of a quarantined repository. */
export function damagedError(name: string, damage: string): GovcError {
  return new GovcError('unavailable', 'repository_damaged',
    `repository ${name} is damaged and quarantined (${damage}); it serves nothing until it is re-seeded from a healthy replica or deleted`);
}

/** Callbacks waiting for a seq to be reached, released in bulk; failed all at once on quarantine. */
class SeqGate {
  private waiters: { seq: number; done(err?: Error): void }[] = [];

  add(seq: number, done: (err?: Error) => void): void {
    this.waiters.push({ seq, done });
  }

  release(reached: number): void {
    if (this.waiters.length === 0) return;
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) {
      if (w.seq <= reached) w.done();
      else this.waiters.push(w);
    }
  }

  fail(err: Error): void {
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w.done(err);
  }
}

/** The repository as writers see it: committed state with the pending changes on top. */
class NewestView implements RepoView {
  constructor(private readonly repo: Repository, private readonly pending: PendingChanges) {}

  get name(): string {
    return this.repo.name;
  }

  get objects(): ObjectStore {
    return this.repo.objects;
  }

  get meta(): Readonly<RepoMeta> {
    const m = this.pending.metaChange();
    return m ? { ...this.repo.meta, ...m } : this.repo.meta;
  }

  get headRef(): string {
    return `refs/heads/${this.meta.defaultBranch}`;
  }

  getRef(name: string): ObjectId | undefined {
    if (this.pending.length === 0) return this.repo.getRef(name);
    const p = this.pending.ref(name);
    return p === undefined ? this.repo.getRef(name) : p ?? undefined;
  }

  listRefs(prefix = 'refs/'): [string, ObjectId][] {
    if (this.pending.length === 0) return this.repo.listRefs(prefix);
    const refs = new Map(this.repo.listRefs(prefix));
    for (const [name, id] of this.pending.refUpdates()) {
      if (!name.startsWith(prefix)) continue;
      if (id === null) refs.delete(name);
      else refs.set(name, id);
    }
    return [...refs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}

export class Repository implements RepoView {
  readonly objects = new ObjectStore();
  /** Committed refs: what every read sees. */
  private readonly refs = new Map<string, ObjectId>();
  private readonly pending = new PendingChanges();
  /** The repository as writers see it (pending changes included). */
  readonly newest: RepoView = new NewestView(this, this.pending);
  private listeners: ChangeListener[] = [];
  private commitListeners: ((seq: number) => void)[] = [];
  private journal: ChangeJournal | undefined;
  private guard: WriteGuard | undefined;
  private seqNo = 0;
  private lastEpochNo = 0;
  private committedNo = 0;
  private committedEpochNo = 0;
  private committedObjects = 0;
  private committedObjectBytes = 0;
  /** Stamped on every change this repository makes; replication sets it to the primary's epoch. */
  epoch = 0;
  /** Set by persistence when it tracks durability: the last seq on disk, -1 = not even created. Undefined: memory only. */
  private durableNo: number | undefined;
  private readonly durableWaiters = new SeqGate();
  private readonly commitWaiters = new SeqGate();
  private durableListeners: ((seq: number) => void)[] = [];
  private damageReason: string | undefined;
  private damageListeners: ((damage: string) => void)[] = [];

  /** `meta` is the committed metadata (readers'); writers read `newest.meta`. */
  constructor(public meta: RepoMeta) {}

  get name(): string {
    return this.meta.name;
  }

  /** Sequence number of the last applied change, committed or not (writers, replication). */
  get seq(): number {
    return this.seqNo;
  }

  /** Epoch of the last applied change. */
  get lastEpoch(): number {
    return this.lastEpochNo;
  }

  /** The commit point: the seq up to which changes are visible to reads. */
  get committedSeq(): number {
    return this.committedNo;
  }

  /** Epoch of the change at the commit point. */
  get committedEpoch(): number {
    return this.committedEpochNo;
  }

  /** Objects committed changes brought: what an export of the committed state holds. */
  get committedObjectCount(): number {
    return this.committedObjects;
  }

  /** Changes applied but not yet committed. */
  get pendingChanges(): number {
    return this.pending.length;
  }

  get headRef(): string {
    return `refs/heads/${this.meta.defaultBranch}`;
  }

  getRef(name: string): ObjectId | undefined {
    return this.refs.get(name);
  }

  listRefs(prefix = 'refs/'): [string, ObjectId][] {
    const out: [string, ObjectId][] = [];
    for (const entry of this.refs) if (entry[0].startsWith(prefix)) out.push(entry);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** The object store as of the commit point, for a worker to read (exports): objects of pending changes left out. */
  committedSnapshot(): StoreSnapshot {
    return { ...this.objects.snapshot(), count: this.committedObjects, objectBytes: this.committedObjectBytes };
  }

  get memoryBytes(): number {
    // Refs are small; approximate each as name + id + map entry overhead.
    let refBytes = 0;
    for (const name of this.refs.keys()) refBytes += name.length + 40 + 64;
    return this.objects.memoryBytes + refBytes;
  }

  /** Last seq known to be on disk; the applied seq when nothing tracks durability (memory only). */
  get durableSeq(): number {
    return this.durableNo ?? this.seqNo;
  }

  /** Whether persistence tracks this repository's durability (its changes are journaled). */
  get tracksDurability(): boolean {
    return this.durableNo !== undefined;
  }

  /** Why the repository is quarantined, undefined when healthy. */
  get damage(): string | undefined {
    return this.damageReason;
  }

  /**
   * Resolves once every change up to `seq` is on disk (seq 0: the repository's creation); undefined when it already is.
   * Rejects with 503 repository_damaged when the repository was quarantined before that.
   */
  whenDurable(seq: number): Promise<void> | undefined {
    if (this.durableSeq >= seq) return undefined;
    return new Promise<void>((resolve, reject) => this.afterDurable(seq, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * whenDurable without a promise, for the hot path: calls `done` once `seq` is on disk (or with the 503 when the
   * repository is quarantined first); answers false, without calling it, when `seq` already is.
   */
  afterDurable(seq: number, done: (err?: Error) => void): boolean {
    if (this.durableSeq >= seq) return false;
    if (this.damageReason !== undefined) done(damagedError(this.name, this.damageReason));
    else this.durableWaiters.add(seq, done);
    return true;
  }

  /**
   * Calls `done` once the commit point reaches `seq` (the change is visible to reads), or with the 503 when the
   * repository is quarantined first; answers false, without calling it, when it already has.
   */
  afterCommitted(seq: number, done: (err?: Error) => void): boolean {
    if (this.committedNo >= seq) return false;
    if (this.damageReason !== undefined) done(damagedError(this.name, this.damageReason));
    else this.commitWaiters.add(seq, done);
    return true;
  }

  /** Calls `listener` with the new durable seq each time it grows. */
  onDurable(listener: (seq: number) => void): () => void {
    this.durableListeners.push(listener);
    return () => {
      this.durableListeners = this.durableListeners.filter((l) => l !== listener);
    };
  }

  /** Calls `listener` with the new commit point each time it moves. */
  onCommit(listener: (seq: number) => void): () => void {
    this.commitListeners.push(listener);
    return () => {
      this.commitListeners = this.commitListeners.filter((l) => l !== listener);
    };
  }

  /** Calls `listener` once if the repository gets quarantined. */
  onDamage(listener: (damage: string) => void): () => void {
    this.damageListeners.push(listener);
    return () => {
      this.damageListeners = this.damageListeners.filter((l) => l !== listener);
    };
  }

  /** Persistence: from now on durability is tracked, and `seq` is what is on disk (-1: the creation is not yet). */
  trackDurability(seq: number): void {
    this.durableNo = seq;
  }

  /** Persistence: every change up to `seq` is on disk. Moves the commit point there. */
  markDurable(seq: number): void {
    if (this.durableNo === undefined || seq <= this.durableNo) return;
    this.durableNo = seq;
    this.durableWaiters.release(seq);
    for (const l of this.durableListeners) l(seq);
    // The one place the commit point follows durability: a write concern will gate it here too.
    this.commitThrough(seq);
  }

  /**
   * Moves the commit point to `seq` (at most the applied seq): the pending changes up to it become visible to reads,
   * in order, and writers waiting for them are released. A quarantined repository commits nothing more.
   */
  commitThrough(seq: number): void {
    const target = Math.min(seq, this.seqNo);
    if (target <= this.committedNo || this.damageReason !== undefined) return;
    for (const entry of this.pending.takeThrough(target)) this.expose(entry);
    this.committedNo = target;
    this.commitWaiters.release(target);
    for (const l of this.commitListeners) l(target);
  }

  /** Quarantines the repository: no change is applied or committed any more, and writes waiting on either fail. */
  markDamaged(damage: string): void {
    if (this.damageReason !== undefined) return;
    this.damageReason = damage;
    const err = damagedError(this.name, damage);
    this.durableWaiters.fail(err);
    this.commitWaiters.fail(err);
    for (const l of this.damageListeners) l(damage);
  }

  setJournal(journal: ChangeJournal | undefined): void {
    this.journal = journal;
  }

  setGuard(guard: WriteGuard | undefined): void {
    this.guard = guard;
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.push(listener);
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  /**
   * Atomically stores `objects` and applies `refs`, checked against the newest state (pending changes included).
   * Throws a 409 GovcError (nothing changed) when any update's `old` does not match. Objects referenced by new ref
   * values must be present afterwards.
   */
  apply(objects: StoredObject[], refs: RefUpdate[], meta?: MetaChange): Change {
    if (this.damageReason !== undefined) throw damagedError(this.name, this.damageReason);
    this.guard?.(this);
    const seen = new Set<string>();
    for (const u of refs) {
      if (seen.has(u.name)) throw invalid('duplicate_ref_update', `ref ${u.name} is updated twice in one change`);
      seen.add(u.name);
      const problem = refNameProblem(u.name);
      if (problem) throw invalid('invalid_ref_name', `ref name ${JSON.stringify(u.name)} ${problem}`);
      const current = this.newest.getRef(u.name) ?? null;
      if (current !== u.old) {
        throw conflict('ref_conflict', `ref ${u.name} is at ${current ?? 'nothing'}, expected ${u.old ?? 'nothing'}`, {
          ref: u.name,
          current,
        });
      }
    }
    // Ref targets not stored yet must come with the change. One pass over the objects against these few ids: a set of
    // every incoming id costs the event loop ~0.3 µs per object, which a 300k-object import cannot afford.
    const missing = new Set<string>();
    for (const u of refs) if (u.new !== null && !this.objects.has(u.new)) missing.add(u.new);
    for (let i = 0; i < objects.length && missing.size > 0; i++) missing.delete(objects[i].id);
    for (const u of refs) {
      if (u.new !== null && missing.has(u.new)) throw invalid('missing_object', `ref ${u.name} would point at missing object ${u.new}`);
    }
    const seq = this.seqNo + 1;
    const change: Change = meta ? { seq, epoch: this.epoch, objects, refs, meta } : { seq, epoch: this.epoch, objects, refs };
    this.applyRecorded(change);
    return change;
  }

  /** Applies a change made elsewhere (a replica receiving its primary's log): journaled and announced, but no CAS. */
  applyRecorded(change: Change): void {
    if (this.damageReason !== undefined) throw damagedError(this.name, this.damageReason);
    this.journal?.(this, change);
    for (const o of change.objects) this.objects.putObject(o);
    this.seqNo = change.seq;
    this.lastEpochNo = change.epoch;
    // A pending entry keeps what committing needs, not the objects (stored already): tens of thousands of them kept
    // alive until the sync would each survive the young generation.
    const kept = change.objects.length === 0 ? change : { ...change, objects: NO_OBJECTS };
    const entry: PendingEntry = { change: kept, objectCount: this.objects.size, objectBytes: this.objects.objectBytes };
    if (this.durableNo === undefined && this.pending.length === 0) {
      // Nothing to wait for (memory only): committed as it is applied.
      this.expose(entry);
      this.committedNo = change.seq;
    } else this.pending.add(entry);
    for (const l of this.listeners) l(this, change);
    if (this.committedNo === change.seq) {
      this.commitWaiters.release(change.seq);
      for (const l of this.commitListeners) l(change.seq);
    }
  }

  /**
   * Replays a change recorded earlier (the journal at load, a test's hostile fixture) without listeners or CAS: the
   * record is the authority and is on disk already, so it is committed at once. Only with nothing pending.
   */
  replay(change: Change): void {
    if (this.pending.length > 0) throw new Error(`cannot replay seq ${change.seq} over ${this.pending.length} pending changes`);
    for (const o of change.objects) this.objects.putObject(o);
    this.seqNo = this.committedNo = change.seq;
    this.lastEpochNo = change.epoch;
    this.expose({ change, objectCount: this.objects.size, objectBytes: this.objects.objectBytes });
  }

  /** Makes an applied change visible to reads. */
  private expose({ change, objectCount, objectBytes }: PendingEntry): void {
    if (change.meta) Object.assign(this.meta, change.meta);
    for (const u of change.refs) {
      if (u.new === null) this.refs.delete(u.name);
      else this.refs.set(u.name, u.new);
    }
    this.committedEpochNo = change.epoch;
    this.committedObjects = objectCount;
    this.committedObjectBytes = objectBytes;
  }
}
