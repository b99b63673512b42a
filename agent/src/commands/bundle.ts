// Git bundles in and out: how users migrate repositories and how backup tiers will snapshot them.
import { conflict, invalid } from '../errors.js';
import { fsckLinks, fsckObject, fsckRef } from '../git/fsck/index.js';
import { GitFormatError, ObjectId, decodeCommit, decodeTag, decodeTree, isObjectId } from '../git/objects.js';
import { BundleRef, parseBundle, writeBundle } from '../git/bundle.js';
import { readPack } from '../git/pack-reader.js';
import { refNameProblem } from '../git/refname.js';
import { RefUpdate, Repository, StoredObject } from '../store/repository.js';
import { isAncestor } from '../git/merge-base.js';
import { withFsck } from './fsck-failure.js';
import { PendingObjects } from './overlay.js';

/** A bundle of every ref (HEAD included, so `git clone` checks out the default branch) and every object. */
export function exportBundle(repo: Repository): Buffer {
  const refs: BundleRef[] = repo.listRefs().map(([name, id]) => ({ name, id }));
  const head = repo.getRef(repo.headRef);
  if (head) refs.unshift({ name: 'HEAD', id: head });
  return writeBundle(refs, repo.objects.objects(), repo.objects.size);
}

export interface ImportResult {
  objects: number;
  refs: RefUpdate[];
  defaultBranch: string;
  seq?: number;
}

export interface ImportOptions {
  /**
   * false skips git's fsck rules and only checks that objects decode, as imports did before them: for the benchmark's
   * baseline alone. Every write path keeps the rules on.
   */
  fsck?: boolean;
}

/** What imports checked before git's fsck rules: that an object parses (the benchmark's baseline). */
function checkDecodes(o: StoredObject): void {
  if (o.type === 'commit') decodeCommit(o.data);
  else if (o.type === 'tree') decodeTree(o.data);
  else if (o.type === 'tag') decodeTag(o.data);
}

/**
 * Imports a bundle: every object is parsed and passes git's fsck rules (fsckObject on each, fsckLinks on the new ones
 * against the repository, fsckRef on each ref: 422 fsck_failed otherwise), prerequisites must already be here, every
 * ref the bundle carries must be fully connected. New refs are created; existing refs only move forward
 * (fast-forward) — anything else is a 409. A refused import changes nothing.
 */
export function importBundle(repo: Repository, data: Buffer, opts: ImportOptions = {}): ImportResult {
  const fsck = opts.fsck !== false;
  let objects: StoredObject[];
  let bundleRefs: BundleRef[];
  try {
    const bundle = parseBundle(data);
    for (const p of bundle.prerequisites) {
      if (!repo.objects.has(p.id)) throw invalid('missing_prerequisite', `bundle needs commit ${p.id}, which this repository lacks`);
    }
    objects = readPack(bundle.pack, repo.objects);
    if (!fsck) objects.forEach(checkDecodes);
    bundleRefs = bundle.refs;
  } catch (e) {
    if (e instanceof GitFormatError) throw invalid('invalid_bundle', `not a valid git bundle: ${e.message}`);
    throw e;
  }
  if (fsck) withFsck(() => objects.forEach((o) => fsckObject(o.id, o.type, o.data)));
  const overlay = new PendingObjects(repo.objects);
  for (const o of objects) overlay.writeObject(o.type, o.data);
  const newObjects = overlay.objects();
  if (fsck) withFsck(() => fsckLinks(newObjects, repo.objects));
  const headId = bundleRefs.find((r) => r.name === 'HEAD')?.id;
  const updates: RefUpdate[] = [];
  const connected = new Set<ObjectId>();
  for (const r of bundleRefs) {
    if (r.name === 'HEAD') continue;
    const problem = refNameProblem(r.name);
    if (problem || !r.name.startsWith('refs/') || !isObjectId(r.id)) throw invalid('invalid_bundle', `bundle ref ${JSON.stringify(r.name)} is invalid`);
    checkConnected(repo, overlay, r.id, connected);
    if (fsck) withFsck(() => fsckRef(r.name, r.id, overlay));
    const current = repo.getRef(r.name) ?? null;
    if (current === r.id) continue;
    if (current !== null && !(r.name.startsWith('refs/heads/') && isAncestor(overlay, current, r.id))) {
      throw conflict('non_fast_forward', `bundle would move ${r.name} from ${current} to ${r.id}, which is not a fast-forward`, {
        ref: r.name, current,
      });
    }
    updates.push({ name: r.name, old: current, new: r.id });
  }
  // An empty repository adopts the bundle's HEAD branch as its default branch, so a migrated repo checks out the same.
  let meta: { defaultBranch: string } | undefined;
  if (repo.listRefs().length === 0 && headId && !bundleRefs.some((r) => r.name === repo.headRef)) {
    const headBranch = bundleRefs.find((r) => r.name.startsWith('refs/heads/') && r.id === headId);
    if (headBranch) meta = { defaultBranch: headBranch.name.slice('refs/heads/'.length) };
  }
  const change = newObjects.length > 0 || updates.length > 0 ? repo.apply(newObjects, updates, meta) : undefined;
  return { objects: newObjects.length, refs: updates, defaultBranch: repo.meta.defaultBranch, seq: change?.seq };
}

/**
 * Every object reachable from `id` must be present (in the repository or the bundle). Objects already in the repository
 * are connected by construction, so the walk stops there; `seen` is shared across refs so history is walked once.
 */
function checkConnected(repo: Repository, reader: PendingObjects, id: ObjectId, seen: Set<ObjectId>): void {
  const stack = [id];
  while (stack.length > 0) {
    const cur = stack.pop()!;
    if (seen.has(cur) || repo.objects.has(cur)) continue;
    seen.add(cur);
    const o = reader.readObject(cur);
    if (!o) throw invalid('invalid_bundle', `bundle is incomplete: object ${cur} is missing`);
    if (o.type === 'commit') {
      const c = decodeCommit(o.data);
      stack.push(c.tree, ...c.parents);
    } else if (o.type === 'tree') {
      for (const e of decodeTree(o.data)) if (e.mode !== '160000') stack.push(e.id);
    } else if (o.type === 'tag') {
      stack.push(decodeTag(o.data).object);
    }
  }
}
