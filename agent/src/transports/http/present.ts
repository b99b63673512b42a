// Wire shapes of domain objects: what the REST API returns for commits, identities and repositories.
import { Commit, Identity, ObjectId } from '../../git/objects.js';
import type { TagInfo } from '../../commands/refs.js';
import { Repository } from '../../store/repository.js';

export interface IdentityJson {
  name: string;
  email: string;
  date: string;
}

/** Seconds in 400 Gregorian years, after which the calendar repeats itself exactly. */
const GREGORIAN_CYCLE = 12_622_780_800;

/**
 * "YYYY-MM-DDThh:mm:ss" for any number of seconds since the epoch. Git stores dates up to year ~292 billion, far past
 * what Date takes (year 275760): the date is moved into Date's range by whole 400-year cycles and the year moved back
 * (ISO-8601's expanded "+YYYYYY" form past 9999). A value no integer can hold is shown as the epoch, as git shows it.
 */
function isoSeconds(seconds: number): string {
  const s = Number.isSafeInteger(seconds) ? seconds : 0;
  const cycles = Math.floor(s / GREGORIAN_CYCLE);
  const iso = new Date((s - cycles * GREGORIAN_CYCLE) * 1000).toISOString();
  const year = Number(iso.slice(0, 4)) + cycles * 400;
  const yyyy = year >= 0 && year <= 9999 ? String(year).padStart(4, '0') : `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
  return yyyy + iso.slice(4, 19);
}

/** Git's "+hhmm" offset as ISO-8601 local time, so the date reads as the author wrote it. */
export function identityJson(p: Identity): IdentityJson {
  const sign = p.timezone.startsWith('-') ? -1 : 1;
  const offsetMin = sign * (Number(p.timezone.slice(1, 3)) * 60 + Number(p.timezone.slice(3, 5)));
  const local = isoSeconds(p.timestamp + offsetMin * 60);
  const tz = offsetMin === 0 ? 'Z' : `${p.timezone.slice(0, 3)}:${p.timezone.slice(3)}`;
  return { name: p.name, email: p.email, date: local + tz };
}

export function commitJson(id: ObjectId, c: Commit) {
  return {
    sha: id,
    tree: c.tree,
    parents: c.parents,
    author: identityJson(c.author),
    committer: identityJson(c.committer),
    message: c.message,
  };
}

export function tagJson(t: TagInfo) {
  return { ...t, tagger: t.tagger ? identityJson(t.tagger) : undefined };
}

export function repoJson(repo: Repository) {
  return {
    name: repo.name,
    description: repo.meta.description,
    defaultBranch: repo.meta.defaultBranch,
    createdAt: repo.meta.createdAt,
    head: repo.getRef(repo.headRef) ?? null,
    // As of the commit point, like every read.
    objects: repo.committedObjectCount,
    memoryBytes: repo.memoryBytes,
    seq: repo.committedSeq,
  };
}
