// All repositories of this agent, by name. Creation and deletion are announced to subscribers (persistence now,
// replication later); changes inside a repository are announced by the repository itself.
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
  deleted?(repo: Repository): void;
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

  delete(name: string): void {
    const repo = this.get(name);
    this.repos.delete(name);
    for (const l of this.listeners) l.deleted?.(repo);
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
