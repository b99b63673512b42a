// `git fsck --strict` as a test oracle for many objects at once: objects are written into one bare repository with
// git's own plumbing (`git hash-object --literally -w --stdin-paths`, one process per object type), refs as files,
// and one fsck run's output is parsed per object id and per ref. Object sets of different cases must not share
// objects: git attributes a type mismatch to whichever object it met first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hashObject, type GitObject, type ObjectId, type ObjectReader, type ObjectType } from '../../src/git/objects.js';
import { BEYOND_GIT, FsckError, GIT_STRICT_ERRORS, fsckLinks, fsckObject, fsckRef } from '../../src/git/fsck/index.js';
import { GIT_ENV, git, removeTempDir } from './git-cli.js';

export interface FsckFindings {
  /** Message ids of errors (git's camelCase id, or "other" for errors without one, e.g. a type mismatch). */
  errors: Set<string>;
  /** Message ids of warnings (info-level ids and what --strict leaves a warning). */
  warnings: Set<string>;
}

export interface FsckReport {
  byObject: Map<ObjectId, FsckFindings>;
  byRef: Map<string, string[]>;
  output: string;
  exitCode: number | null;
}

const LINE_IN = /^(error|warning) in (?:tree|blob|commit|tag) ([0-9a-f]{40}): (?:([a-zA-Z0-9]+): )?/;
const REF_ERROR = /^error: (refs\/[^:]+): (.*)$/;
const ANY_ID = /[0-9a-f]{40}/g;

export function parseFsckOutput(output: string): Pick<FsckReport, 'byObject' | 'byRef'> {
  const byObject = new Map<ObjectId, FsckFindings>();
  const byRef = new Map<string, string[]>();
  const findings = (id: ObjectId) => {
    let f = byObject.get(id);
    if (!f) byObject.set(id, (f = { errors: new Set(), warnings: new Set() }));
    return f;
  };
  for (const line of output.split('\n')) {
    const m = LINE_IN.exec(line);
    if (m) {
      const f = findings(m[2]);
      (m[1] === 'error' ? f.errors : f.warnings).add(m[3] ?? 'other');
      continue;
    }
    const r = REF_ERROR.exec(line);
    if (r) {
      byRef.set(r[1], [...(byRef.get(r[1]) ?? []), r[2]]);
      continue;
    }
    // Other errors ("object X is a tree, not a blob", "bad tree pointer X in commit Y", "missing blob X",
    // "broken link from tree X"): every id they name is involved.
    if (/^(error|missing|broken link|bad )/.test(line)) for (const id of line.match(ANY_ID) ?? []) findings(id).errors.add('other');
  }
  return { byObject, byRef };
}

/** Memory-backed when the machine has it: thousands of small object files are written and removed per run. */
const SCRATCH_ROOT = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

/** A bare repository to write objects and refs into, then fsck once. */
export class FsckOracle {
  readonly dir: string;
  private readonly scratch = mkdtempSync(join(SCRATCH_ROOT, 'govc-fsck-oracle-'));

  constructor() {
    this.dir = join(this.scratch, 'repo.git');
    git(['init', '-q', '--bare', this.dir]);
  }
  private files = 0;

  /** Writes objects with `git hash-object --literally` (batched per type); returns their ids, checked against ours. */
  write(objects: readonly GitObject[]): ObjectId[] {
    const byType = new Map<ObjectType, number[]>();
    objects.forEach((o, i) => byType.set(o.type, [...(byType.get(o.type) ?? []), i]));
    const ids: ObjectId[] = new Array(objects.length);
    for (const [type, indexes] of byType) {
      const paths = indexes.map((i) => {
        const p = join(this.scratch, `o${this.files++}`);
        writeFileSync(p, objects[i].data);
        return p;
      });
      const out = git(['hash-object', '--literally', '-t', type, '-w', '--stdin-paths'], { cwd: this.dir, input: paths.join('\n') + '\n' })
        .toString('latin1').trim().split('\n');
      indexes.forEach((objIndex, k) => {
        const ours = hashObject(type, objects[objIndex].data);
        if (out[k] !== ours) throw new Error(`git hashed a ${type} to ${out[k]}, we to ${ours}`);
        ids[objIndex] = ours;
      });
    }
    return ids;
  }

  /** Points a ref at an id (written as a loose ref file, so git's own ref-update checks do not get in the way). */
  setRef(name: string, id: ObjectId): void {
    const path = join(this.dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, id + '\n');
  }

  fsck(): FsckReport {
    const res = gitRaw(['fsck', '--strict', '--no-dangling', '--no-progress'], this.dir);
    return { ...parseFsckOutput(res.output), output: res.output, exitCode: res.status };
  }

  /** `git pack-objects --stdout` of these ids: a pack git itself made, for hand-made bundles. */
  pack(ids: readonly ObjectId[]): Buffer {
    return git(['pack-objects', '--stdout', '-q'], { cwd: this.dir, input: ids.join('\n') + '\n' });
  }

  close(): void {
    removeTempDir(this.scratch);
  }
}

function gitRaw(args: string[], cwd: string): { output: string; status: number | null } {
  const res = spawnSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, maxBuffer: 1 << 30 });
  if (res.error) throw res.error;
  return { output: res.stderr.toString('utf8') + res.stdout.toString('utf8'), status: res.status };
}

/** Our verdict on a set of new objects and refs: the first FsckError, as an import would raise it, or undefined. */
export function ourVerdict(
  objects: readonly (GitObject & { id: ObjectId })[], refs: readonly { name: string; id: ObjectId }[], existing?: ObjectReader,
): FsckError | undefined {
  const byId = new Map(objects.map((o) => [o.id, o]));
  const all: ObjectReader = { readObject: (id) => byId.get(id) ?? existing?.readObject(id) };
  try {
    for (const o of objects) fsckObject(o.id, o.type, o.data);
    fsckLinks(objects, existing ?? { readObject: () => undefined });
    for (const r of refs) fsckRef(r.name, r.id, all);
    return undefined;
  } catch (e) {
    if (e instanceof FsckError) return e;
    throw e;
  }
}

/** What git said about a case: the findings of its objects and refs, merged. */
export function gitFindings(report: FsckReport, ids: Iterable<ObjectId>, refs: Iterable<string>): FsckFindings & { refErrors: string[] } {
  const out = { errors: new Set<string>(), warnings: new Set<string>(), refErrors: [] as string[] };
  for (const id of ids) {
    const f = report.byObject.get(id);
    f?.errors.forEach((e) => out.errors.add(e));
    f?.warnings.forEach((w) => out.warnings.add(w));
  }
  for (const r of refs) out.refErrors.push(...(report.byRef.get(r) ?? []));
  return out;
}

/**
 * Why our verdict disagrees with git's, or undefined when they agree: git reports an error iff we refuse, except that
 * we may refuse beyond git (BEYOND_GIT) where git prints the matching warning (or nothing, where BEYOND_GIT says
 * so); and a refusal named after one of git's message ids must be one git reported.
 */
export function disagreement(ours: FsckError | undefined, report: FsckReport, objects: readonly (GitObject & { id: ObjectId })[], refs: readonly { name: string }[]): string | undefined {
  const git = gitFindings(report, involvedIds(objects), refs.map((r) => r.name));
  const gitRefuses = git.errors.size > 0 || git.refErrors.length > 0;
  const gitSays = `git: errors [${[...git.errors]}] warnings [${[...git.warnings]}] refs [${git.refErrors}]`;
  if (!ours) return gitRefuses ? `we accept, ${gitSays}` : undefined;
  const ourSays = `we refuse with ${ours.check} (${ours.message})`;
  if (!gitRefuses) {
    const beyond = BEYOND_GIT[ours.check];
    if (!beyond) return `${ourSays}, ${gitSays}`;
    const warned = beyond.gitWarns.length === 0 || beyond.gitMayBeSilent || beyond.gitWarns.some((w) => git.warnings.has(w));
    if (!warned) return `${ourSays} beyond git without git's warning, ${gitSays}`;
    return undefined;
  }
  // git names the rule unless its object parser gave up on the object first ("could not be parsed": "other").
  const f = ours.objectId ? report.byObject.get(ours.objectId) : undefined;
  const gitNamed = f ? [...f.errors].some((e) => e !== 'other') : false;
  if (GIT_STRICT_ERRORS.has(ours.check) && gitNamed) {
    if (!f?.errors.has(ours.check)) return `${ourSays}, which git does not report for ${ours.objectId}; ${gitSays}`;
  }
  return undefined;
}

/**
 * The ids a set of objects involves: their own and every id they name (tree entries, a commit's tree and parents, a
 * tag's object), since git reports a missing or mistyped target under the target's id. Parsed leniently here, on
 * purpose without our fsck code.
 */
export function involvedIds(objects: readonly (GitObject & { id: ObjectId })[]): Set<ObjectId> {
  const ids = new Set<ObjectId>();
  for (const o of objects) {
    ids.add(o.id);
    if (o.type === 'tree') {
      for (let nul = o.data.indexOf(0); nul >= 0 && nul + 21 <= o.data.length; nul = o.data.indexOf(0, nul + 21)) {
        ids.add(o.data.toString('hex', nul + 1, nul + 21));
      }
    } else if (o.type === 'commit' || o.type === 'tag') {
      const head = o.data.toString('latin1', 0, Math.max(0, o.data.indexOf('\n\n')) || o.data.length);
      for (const m of head.matchAll(/^(?:tree|parent|object) ([0-9a-fA-F]{40})$/gm)) ids.add(m[1].toLowerCase());
    }
  }
  return ids;
}
