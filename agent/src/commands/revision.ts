// Revisions as `git rev-parse` reads them: full and unique short shas (git's disambiguation by the kind of object
// wanted), HEAD and @, branch, tag and full ref names in git's lookup order, describe output (…-g<sha>), and the
// suffixes ~<n>, ^<n>, ^, ^{}, ^{commit}, ^{tree}, ^{blob}, ^{tag}, ^{object}. Reflogs (@{…}), paths (:) and
// searches (^{/…}) are not supported.
import { GovcError, invalid, notFound, unprocessable } from '../errors.js';
import { GitFormatError, decodeCommit, decodeTag, type ObjectId, type ObjectType } from '../git/objects.js';
import { type RepoView } from '../store/repository.js';
import { type ObjectView } from './object-view.js';

/** What the caller needs, which settles a short sha matching several objects (git's GET_OID_COMMITTISH etc.). */
export type Hint = 'none' | 'committish' | 'treeish' | 'commit';

type Op = { kind: 'ancestor'; n: number } | { kind: 'parent'; n: number } | { kind: 'peel'; type: ObjectType | 'object' | '' };

const SHORT_HEX = /^[0-9a-fA-F]{4,40}$/;

/** git's dwim_ref rules, in order. */
export function refCandidates(name: string): string[] {
  return [name, `refs/${name}`, `refs/tags/${name}`, `refs/heads/${name}`, `refs/remotes/${name}`, `refs/remotes/${name}/HEAD`];
}

export function lookupRef(repo: RepoView, name: string): ObjectId | undefined {
  if (name === 'HEAD' || name === '@') return repo.getRef(repo.headRef);
  for (const ref of refCandidates(name)) {
    const id = repo.getRef(ref);
    if (id) return id;
  }
  return undefined;
}

/** Longer than any ref name git accepts plus a long suffix chain; refused before any parsing. */
const MAX_REVISION_LENGTH = 4096;

function parse(rev: string): { base: string; ops: Op[] } {
  const bad = (why: string) => invalid('invalid_revision', `revision ${JSON.stringify(rev.slice(0, 200))} ${why}`);
  if (rev.length > MAX_REVISION_LENGTH) throw bad(`is longer than ${MAX_REVISION_LENGTH} characters`);
  if (rev.includes('@{')) throw bad('uses a reflog (@{...}), which is not supported');
  if (rev.includes(':')) throw bad('names a path (:), which is not supported; use the files or tree endpoints');
  const at = rev.search(/[~^]/);
  const base = at < 0 ? rev : rev.slice(0, at);
  if (base === '') throw bad('has no name before its suffix');
  const ops: Op[] = [];
  // One sticky pattern per suffix, consumed left to right: linear in the length of the revision.
  const suffix = /~(\d*)|\^\{([^}]*)\}|\^(\d*)/y;
  for (suffix.lastIndex = base.length; suffix.lastIndex < rev.length; ) {
    const m = suffix.exec(rev);
    if (!m) throw bad('is not a revision');
    if (m[2] !== undefined) {
      if (!/^(commit|tree|blob|tag|object|)$/.test(m[2])) throw bad('uses a suffix ^{...} that is not supported');
      ops.push({ kind: 'peel', type: m[2] as ObjectType | 'object' | '' });
      continue;
    }
    const digits = m[1] ?? m[3];
    const n = digits === '' ? 1 : Number(digits);
    if (!Number.isSafeInteger(n)) throw bad('has a number out of range');
    ops.push({ kind: m[1] !== undefined ? 'ancestor' : 'parent', n });
  }
  return { base, ops };
}

function typeOf(repo: RepoView, id: ObjectId): ObjectType {
  const obj = repo.objects.readObject(id);
  if (!obj) throw notFound('object_not_found', `object ${id} does not exist`);
  return obj.type;
}

/** Follows annotated tags to the first object that is not a tag (git's deref_tag). */
export function peelTags(repo: ObjectView, id: ObjectId): ObjectId {
  for (let depth = 0; depth < 32; depth++) {
    const obj = repo.objects.readObject(id);
    if (!obj) throw notFound('object_not_found', `object ${id} does not exist`);
    if (obj.type !== 'tag') return id;
    id = decodeTagSafely(id, obj.data).object;
  }
  throw unprocessable('tag_chain_too_deep', `tag chain at ${id} is more than 32 tags deep`);
}

function decodeTagSafely(id: ObjectId, data: Buffer) {
  try {
    return decodeTag(data);
  } catch (e) {
    if (e instanceof GitFormatError) throw unprocessable('malformed_object', `tag ${id} is malformed: ${e.message}`);
    throw e;
  }
}

function satisfies(repo: RepoView, id: ObjectId, hint: Hint): boolean {
  if (hint === 'commit') return typeOf(repo, id) === 'commit';
  const peeled = repo.objects.readObject(peelTagsQuietly(repo, id))?.type;
  if (hint === 'committish') return peeled === 'commit';
  if (hint === 'treeish') return peeled === 'commit' || peeled === 'tree';
  return true;
}

function peelTagsQuietly(repo: RepoView, id: ObjectId): ObjectId {
  try {
    return peelTags(repo, id);
  } catch (e) {
    if (e instanceof GovcError) return id;
    throw e;
  }
}

/** A short sha as git's get_short_oid settles it: one match, or exactly one match of the kind wanted. */
function resolveShort(repo: RepoView, hex: string, hint: Hint, shown: string): ObjectId {
  const candidates = repo.objects.idsWithPrefix(hex.toLowerCase(), 64);
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) throw notFound('revision_not_found', `no branch, tag or object named ${JSON.stringify(shown)}`);
  const fitting = hint === 'none' ? [] : candidates.filter((id) => satisfies(repo, id, hint));
  if (fitting.length === 1) return fitting[0];
  throw invalid('ambiguous_revision', `short object id ${hex} is ambiguous`, {
    candidates: candidates.sort().map((id) => ({ id, type: typeOf(repo, id) })),
  });
}

function resolveBase(repo: RepoView, base: string, hint: Hint, rev: string): ObjectId {
  if (base === 'HEAD' || base === '@') {
    const id = repo.getRef(repo.headRef);
    if (!id) throw notFound('ref_not_found', `HEAD points at ${repo.headRef}, which has no commits yet`);
    return id;
  }
  if (base.length === 40 && SHORT_HEX.test(base)) {
    const id = base.toLowerCase();
    typeOf(repo, id);
    return id;
  }
  const ref = lookupRef(repo, base);
  if (ref) return ref;
  if (SHORT_HEX.test(base)) return resolveShort(repo, base, hint, rev);
  const describe = /-g([0-9a-fA-F]{4,40})$/.exec(base);
  if (describe) return resolveShort(repo, describe[1], 'commit', rev);
  throw notFound('ref_not_found', `no branch, tag or commit named ${JSON.stringify(base)}`);
}

function commitOf(repo: RepoView, id: ObjectId, rev: string) {
  const commit = peelTags(repo, id);
  const obj = repo.objects.readObject(commit)!;
  if (obj.type !== 'commit') throw unprocessable('not_a_commit', `${rev} is a ${obj.type} (${commit}), not a commit`, { object: commit, type: obj.type });
  try {
    return { id: commit, parents: decodeCommit(obj.data).parents };
  } catch (e) {
    if (e instanceof GitFormatError) throw unprocessable('malformed_object', `commit ${commit} is malformed: ${e.message}`);
    throw e;
  }
}

function applyOp(repo: RepoView, id: ObjectId, op: Op, rev: string): ObjectId {
  if (op.kind === 'ancestor') {
    for (let k = 0; k < op.n; k++) {
      const c = commitOf(repo, id, rev);
      if (c.parents.length === 0) throw notFound('revision_not_found', `${rev}: ${c.id} has no parent`);
      id = c.parents[0];
    }
    return commitOf(repo, id, rev).id;
  }
  if (op.kind === 'parent') {
    const c = commitOf(repo, id, rev);
    if (op.n === 0) return c.id;
    const p = c.parents[op.n - 1];
    if (!p) throw notFound('revision_not_found', `${rev}: ${c.id} has no parent ${op.n}`);
    return p;
  }
  switch (op.type) {
    case 'object':
      typeOf(repo, id);
      return id;
    case 'tag':
      if (typeOf(repo, id) !== 'tag') throw unprocessable('not_a_tag', `${rev}: ${id} is a ${typeOf(repo, id)}, not a tag`);
      return id;
    case '':
      return peelTags(repo, id);
    case 'commit':
      return commitOf(repo, id, rev).id;
    case 'tree': {
      const peeled = peelTags(repo, id);
      const type = typeOf(repo, peeled);
      if (type === 'tree') return peeled;
      if (type === 'commit') return repo.objects.readObject(commitOf(repo, peeled, rev).id)!.data.toString('latin1', 5, 45);
      throw unprocessable('not_a_tree', `${rev} is a ${type} (${peeled}), not a tree`, { object: peeled, type });
    }
    default: {
      const peeled = peelTags(repo, id);
      const type = typeOf(repo, peeled);
      if (type !== op.type) throw unprocessable(`not_a_${op.type}`, `${rev} is a ${type} (${peeled}), not a ${op.type}`, { object: peeled, type });
      return peeled;
    }
  }
}

/**
 * The object a revision names, as `git rev-parse --verify <rev>` gives it. `hint` says what the caller will use it
 * as (a commit: "committish"), which only matters for a short sha that several objects share.
 */
export function resolveRevision(repo: RepoView, rev: string, hint: Hint = 'none'): ObjectId {
  if (rev.length === 0) throw invalid('invalid_revision', 'revision is empty');
  const { base, ops } = parse(rev);
  const first = ops[0];
  const baseHint: Hint = !first ? hint
    : first.kind !== 'peel' ? 'committish'
    : first.type === 'commit' ? 'committish'
    : first.type === 'tree' ? 'treeish'
    : 'none';
  let id = resolveBase(repo, base, baseHint, rev);
  for (const op of ops) id = applyOp(repo, id, op, rev);
  return id;
}

/** Hex digits git shows for `id` (core.abbrev=auto): enough for the repository's size, more where they are ambiguous. */
export function abbreviate(repo: ObjectView, id: ObjectId): string {
  const count = repo.objects.size;
  let len = Math.max(7, Math.ceil((Math.floor(Math.log2(Math.max(count, 1))) + 1) / 2));
  for (; len < 40; len++) {
    const prefix = id.slice(0, len);
    if (!repo.objects.idsWithPrefix(prefix, 2).some((other) => other !== id)) break;
  }
  return id.slice(0, len);
}
