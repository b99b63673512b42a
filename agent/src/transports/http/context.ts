// What every route module gets: the store it serves and the shared logger.
import { RepositoryStore } from '../../store/repository-store.js';
import { Logger } from '../../logger.js';
import type { Limits } from '../../limits.js';

export interface RouteContext {
  store: RepositoryStore;
  log: Logger;
  /** What one request may make the agent hold or walk. */
  limits: Limits;
}

export interface RepoParams {
  repo: string;
}

export interface RepoWildcardParams {
  repo: string;
  '*': string;
}
