// All repositories of this agent, by name. Creation, deletion and replacement (a replica installing a snapshot) are
// announced to subscribers (persistence); changes inside a repository are announced by the repository itself.
import { conflict, invalid, notFound } from '../errors.js';
import { shortRefProblem } from '../git/refname.js';
import { Repository } from './repository.js';

const REPO_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function repoNameProblem(name: string): string | undefined {
  if (!REPO_NAME.test(name)) return 'must be 1-100 characters of letters, digits, ".", "_" or "-", starting with a letter or digit';
  if (name.includes('..')) return 'must not contain ".."';
  if (name.endsWith('.lock')) return 'must not end with ".lock"';
  return undefined;
}

export interface StoreListener {
  created?(repo: Repository): void;
  /** May return a promise that resolves once the deletion is durable. */
  deleted?(repo: Repository): void | Promise<void>;
  /** `repo` takes the place of `old` under the same name (a snapshot install); no deletion or creation is announced. */
  replaced?(old: Repository, repo: Repository): void;
}

export interface Page<T> {
  items: T[];
  next?: string;
}

export class RepositoryStore {
  private readonly repos = new Map<string, Repository>();
  private readonly listeners: StoreListener[] = [];

  subscribe(l: StoreListener): void {
    this.listeners.push(l);
  }

  get count(): number {
    return this.repos.size;
  }

  create(input: { name: string; defaultBranch?: string; description?: string }, createdAt = new Date().toISOString()): Repository {
    const problem = repoNameProblem(input.name);
    if (problem) throw invalid('invalid_repo_name', `repository name ${JSON.stringify(input.name)} ${problem}`);
    const defaultBranch = input.defaultBranch ?? 'main';
    const branchProblem = shortRefProblem(defaultBranch, 'refs/heads/');
    if (branchProblem) throw invalid('invalid_ref_name', `default branch ${JSON.stringify(defaultBranch)} ${branchProblem}`);
    if (this.repos.has(input.name)) throw conflict('repo_exists', `repository ${input.name} already exists`);
    const repo = new Repository({ name: input.name, description: input.description ?? '', defaultBranch, createdAt });
    this.add(repo);
    return repo;
  }

  /** Adds a repository rebuilt from elsewhere (journal replay) and announces it like a new one. */
  add(repo: Repository): void {
    this.repos.set(repo.name, repo);
    for (const l of this.listeners) l.created?.(repo);
  }

  get(name: string): Repository {
    const repo = this.repos.get(name);
    if (!repo) throw notFound('repo_not_found', `repository ${JSON.stringify(name)} does not exist`);
    return repo;
  }

  has(name: string): boolean {
    return this.repos.has(name);
  }

  /** Removes the repository at once; the promise resolves once the removal is durable (rejects if it cannot be). */
  delete(name: string): Promise<void> {
    const repo = this.get(name);
    this.repos.delete(name);
    const durable: Promise<void>[] = [];
    for (const l of this.listeners) {
      const p = l.deleted?.(repo);
      if (p) durable.push(p);
    }
    return Promise.all(durable).then(() => undefined);
  }

  /** Puts `repo` in place of the repository of the same name (added when there is none). */
  replace(repo: Repository): void {
    const old = this.repos.get(repo.name);
    if (!old) return this.add(repo);
    this.repos.set(repo.name, repo);
    for (const l of this.listeners) l.replaced?.(old, repo);
  }

  /** Names of the quarantined repositories, sorted. */
  damagedNames(): string[] {
    const out: string[] = [];
    for (const r of this.repos.values()) if (r.damage !== undefined) out.push(r.name);
    return out.sort();
  }

  /** Repositories sorted by name; `after` is the last name of the previous page. */
  list(limit: number, after?: string): Page<Repository> {
    const names = [...this.repos.keys()].sort();
    const start = after === undefined ? 0 : names.findIndex((n) => n > after);
    const slice = start < 0 ? [] : names.slice(start, start + limit);
    const items = slice.map((n) => this.repos.get(n)!);
    const more = start >= 0 && start + limit < names.length;
    return more ? { items, next: slice[slice.length - 1] } : { items };
  }

  all(): IterableIterator<Repository> {
    return this.repos.values();
  }

  get memoryBytes(): number {
    let total = 0;
    for (const r of this.repos.values()) total += r.memoryBytes;
    return total;
  }

  get objectCount(): number {
    let total = 0;
    for (const r of this.repos.values()) total += r.objects.size;
    return total;
  }

  get objectBytes(): number {
    let total = 0;
    for (const r of this.repos.values()) total += r.objects.objectBytes;
    return total;
  }
}
