// What every route module gets: the store it serves and the shared logger.
import { RepositoryStore } from '../../store/repository-store.js';
import { Logger } from '../../logger.js';

export interface RouteContext {
  store: RepositoryStore;
  log: Logger;
}

export interface RepoParams {
  repo: string;
}

export interface RepoWildcardParams {
  repo: string;
  '*': string;
}
