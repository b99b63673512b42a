// One repository held in memory: its objects, its refs and HEAD. Every mutation goes through `apply`, which checks all ref
// updates as compare-and-swap first and then stores objects and moves refs in one synchronous step, so a change is either
// wholly visible or not at all. Each applied change gets the next sequence number; persistence (and later replication)
// consume the same change records.
// Durability: a change is visible in memory as soon as it is applied; persistence says when it is on disk
// (`markDurable`), and whoever acknowledges a write waits for that (`whenDurable`). A repository whose disk copy no
// longer matches (corrupt journal, failed write or fsync) is quarantined (`markDamaged`): it refuses every change.
import { GovcError, conflict, invalid } from '../errors.js';
import { GitObject, ObjectId } from '../git/objects.js';
import { refNameProblem } from '../git/refname.js';
import { ObjectStore } from './object-store.js';

export interface RepoMeta {
  name: string;
  description: string;
  defaultBranch: string;
  createdAt: string;
}

export type StoredObject = GitObject & { id: ObjectId };

export interface RefUpdate {
  name: string;
  /** Required current value: an id, or null for "must not exist". */
  old: ObjectId | null;
  /** New value, or null to delete. */
  new: ObjectId | null;
}

export interface Change {
  seq: number;
  /** Epoch of the primary that made the change (0 = standalone); replicas refuse changes from a deposed primary. */
  epoch: number;
  objects: StoredObject[];
  refs: RefUpdate[];
  /** Metadata fields changed by this change (e.g. an import adopting a bundle's default branch). */
  meta?: Partial<Pick<RepoMeta, 'defaultBranch' | 'description'>>;
}

export type ChangeListener = (repo: Repository, change: Change) => void;
/** Makes a change durable before it becomes visible; throwing rejects the change with nothing applied. */
export type ChangeJournal = (repo: Repository, change: Change) => void;
/** Runs before a local write is checked; throwing (e.g. "not the primary") rejects it with nothing applied. */
export type WriteGuard = (repo: Repository) => void;

/** 503 for anything asked of a quarantined repository. */
export function damagedError(name: string, damage: string): GovcError {
  return new GovcError('unavailable', 'repository_damaged',
    `repository ${name} is damaged and quarantined (${damage}); it serves nothing until it is re-seeded from a healthy replica or deleted`);
}

interface DurableWaiter {
  seq: number;
  done(err?: Error): void;
}

export class Repository {
  readonly objects = new ObjectStore();
  private readonly refs = new Map<string, ObjectId>();
  private listeners: ChangeListener[] = [];
  private journal: ChangeJournal | undefined;
  private guard: WriteGuard | undefined;
  private seqNo = 0;
  private lastEpochNo = 0;
  /** Stamped on every change this repository makes; replication sets it to the primary's epoch. */
  epoch = 0;
  /** Set by persistence when it tracks durability (GOVC_FSYNC=batch): the last seq on disk, -1 = not even created. */
  private durableNo: number | undefined;
  private durableWaiters: DurableWaiter[] = [];
  private durableListeners: ((seq: number) => void)[] = [];
  private damageReason: string | undefined;
  private damageListeners: ((damage: string) => void)[] = [];

  constructor(public meta: RepoMeta) {}

  get name(): string {
    return this.meta.name;
  }

  /** Sequence number of the last applied change. */
  get seq(): number {
    return this.seqNo;
  }

  /** Epoch of the last applied change. */
  get lastEpoch(): number {
    return this.lastEpochNo;
  }

  get headRef(): string {
    return `refs/heads/${this.meta.defaultBranch}`;
  }

  getRef(name: string): ObjectId | undefined {
    return this.refs.get(name);
  }

  /** Refs whose names start with `prefix`, sorted by name. */
  listRefs(prefix = 'refs/'): [string, ObjectId][] {
    const out: [string, ObjectId][] = [];
    for (const entry of this.refs) if (entry[0].startsWith(prefix)) out.push(entry);
    return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  get memoryBytes(): number {
    // Refs are small; approximate each as name + id + map entry overhead.
    let refBytes = 0;
    for (const name of this.refs.keys()) refBytes += name.length + 40 + 64;
    return this.objects.memoryBytes + refBytes;
  }

  /** Last seq known to be on disk; the applied seq when nothing tracks durability (memory only, GOVC_FSYNC=off). */
  get durableSeq(): number {
    return this.durableNo ?? this.seqNo;
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
    else this.durableWaiters.push({ seq, done });
    return true;
  }

  /** Calls `listener` with the new durable seq each time it grows. */
  onDurable(listener: (seq: number) => void): () => void {
    this.durableListeners.push(listener);
    return () => {
      this.durableListeners = this.durableListeners.filter((l) => l !== listener);
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

  /** Persistence: every change up to `seq` is on disk. */
  markDurable(seq: number): void {
    if (this.durableNo === undefined || seq <= this.durableNo) return;
    this.durableNo = seq;
    if (this.durableWaiters.length > 0) {
      const waiting = this.durableWaiters;
      this.durableWaiters = [];
      for (const w of waiting) {
        if (w.seq <= seq) w.done();
        else this.durableWaiters.push(w);
      }
    }
    for (const l of this.durableListeners) l(seq);
  }

  /** Quarantines the repository: no change is applied any more, and writes waiting to be durable fail. */
  markDamaged(damage: string): void {
    if (this.damageReason !== undefined) return;
    this.damageReason = damage;
    const err = damagedError(this.name, damage);
    const waiting = this.durableWaiters;
    this.durableWaiters = [];
    for (const w of waiting) w.done(err);
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
   * Atomically stores `objects` and applies `refs`. Throws a 409 GovcError (nothing changed) when any update's `old`
   * does not match. Objects referenced by new ref values must be present afterwards.
   */
  apply(objects: StoredObject[], refs: RefUpdate[], meta?: Change['meta']): Change {
    if (this.damageReason !== undefined) throw damagedError(this.name, this.damageReason);
    this.guard?.(this);
    const seen = new Set<string>();
    for (const u of refs) {
      if (seen.has(u.name)) throw invalid('duplicate_ref_update', `ref ${u.name} is updated twice in one change`);
      seen.add(u.name);
      const problem = refNameProblem(u.name);
      if (problem) throw invalid('invalid_ref_name', `ref name ${JSON.stringify(u.name)} ${problem}`);
      const current = this.refs.get(u.name) ?? null;
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
    this.replay(change);
    for (const l of this.listeners) l(this, change);
  }

  /** Replays a change recorded earlier (journal, replication) without listeners or CAS: the record is the authority. */
  replay(change: Change): void {
    if (change.meta) Object.assign(this.meta, change.meta);
    for (const o of change.objects) this.objects.putObject(o);
    for (const u of change.refs) {
      if (u.new === null) this.refs.delete(u.name);
      else this.refs.set(u.name, u.new);
    }
    this.seqNo = change.seq;
    this.lastEpochNo = change.epoch;
  }
}
