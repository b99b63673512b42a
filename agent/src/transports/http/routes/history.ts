// Comparing two revisions and merging one into a branch.
import { FastifyInstance } from 'fastify';
import { invalid } from '../../../errors.js';
import { DEFAULT_COMPARE_LIMIT, MAX_COMPARE_LIMIT, compare } from '../../../commands/compare.js';
import { IdentityInput, toIdentity } from '../../../commands/identity.js';
import { merge } from '../../../commands/merge.js';
import { RouteContext, RepoParams, RepoWildcardParams } from '../context.js';
import { commitJson } from '../present.js';
import { commit, errors, identityInput, nullableSha, repoParams, repoWildcardParams, sha } from '../schemas.js';

const fileChange = {
  type: 'object',
  properties: {
    path: { type: 'string' },
    status: { type: 'string', enum: ['added', 'modified', 'deleted', 'type_changed', 'renamed'] },
    oldPath: { type: 'string', description: 'renamed: the path it had at the merge base' },
    similarity: { type: 'integer', description: 'renamed: git\'s similarity index, in percent' },
    oldMode: { type: 'string' }, newMode: { type: 'string' }, oldId: sha, newId: sha,
  },
} as const;

/** Used when a merge request names no author: merges made by the service itself. */
const SERVICE_IDENTITY: IdentityInput = { name: 'govc', email: 'govc@localhost' };

export function historyRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get<{ Params: RepoWildcardParams; Querystring: { limit?: number; cursor?: string } }>('/repos/:repo/compare/*', {
    schema: {
      summary: 'Compare base...head: commits head has that base lacks, changed files and a unified patch since the merge base',
      description: 'Both ends are any revision (as `git rev-parse <rev>^{commit}` reads them). `commits` lists the commits of '
        + '`git log --reverse base..head` (oldest first, in git\'s order), `limit` at a time; when more remain, `next` is a '
        + 'cursor for the following page (pass it as `cursor`; it pins base and head, so pages stay consistent while branches '
        + 'move). `aheadBy` and `behindBy` always count every commit. `files` and `patch` are `git diff base...head` with git\'s '
        + 'defaults (renames detected: status `renamed` with `oldPath` and `similarity`).',
      tags: ['history'],
      params: repoWildcardParams,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          limit: { type: 'integer', minimum: 1, maximum: MAX_COMPARE_LIMIT, default: DEFAULT_COMPARE_LIMIT, description: 'commits per page' },
          cursor: { type: 'string', description: 'the `next` of the previous page' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            base: sha, head: sha, mergeBase: nullableSha, status: { type: 'string' }, aheadBy: { type: 'integer' }, behindBy: { type: 'integer' },
            commits: { type: 'array', items: commit }, next: { type: 'string' }, files: { type: 'array', items: fileChange }, patch: { type: 'string' },
          },
        },
        ...errors,
      },
    },
  }, async (req) => {
    const spec = req.params['*'];
    const parts = spec.split('...');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw invalid('invalid_compare', `expected base...head, got ${JSON.stringify(spec)}`);
    const c = compare(store.get(req.params.repo), parts[0], parts[1], { limit: req.query.limit, cursor: req.query.cursor });
    return { ...c, commits: c.commits.map((e) => commitJson(e.id, e.commit)) };
  });

  app.post<{ Params: RepoParams; Body: { base: string; head: string; message?: string; author?: IdentityInput; noFastForward?: boolean; allowUnrelatedHistories?: boolean } }>('/repos/:repo/merges', {
    schema: {
      summary: 'Merge head into branch base: fast-forward, or a two-parent merge commit; 409 with the conflicting paths on conflict',
      description: 'head is any revision. The merge is git\'s ort with its defaults (renames followed at 50 % similarity, '
        + 'directory renames reported as conflicts); the merged tree equals `git merge-tree --write-tree`. Histories with no '
        + 'common ancestor are refused with 422 `unrelated_histories` unless `allowUnrelatedHistories` is true '
        + '(git\'s --allow-unrelated-histories).',
      tags: ['history'],
      params: repoParams,
      body: {
        type: 'object', additionalProperties: false, required: ['base', 'head'],
        properties: {
          base: { type: 'string', minLength: 1 }, head: { type: 'string', minLength: 1 }, message: { type: 'string', minLength: 1 },
          author: identityInput, noFastForward: { type: 'boolean', default: false },
          allowUnrelatedHistories: { type: 'boolean', default: false, description: 'merge histories without a common ancestor' },
        },
      },
      response: {
        200: { type: 'object', properties: { status: { type: 'string' }, sha, branch: { type: 'string' }, parents: { type: 'array', items: sha } } },
        201: { type: 'object', properties: { status: { type: 'string' }, sha, branch: { type: 'string' }, parents: { type: 'array', items: sha } } },
        ...errors,
      },
    },
  }, async (req, reply) => {
    const b = req.body;
    const now = new Date();
    const author = toIdentity(b.author ?? SERVICE_IDENTITY, 'author', now);
    const r = merge(store.get(req.params.repo), {
      base: b.base, head: b.head, message: b.message, author, committer: author, noFastForward: b.noFastForward,
      allowUnrelatedHistories: b.allowUnrelatedHistories,
    });
    if (r.seq !== undefined) reply.header('x-govc-seq', String(r.seq));
    return reply.status(r.status === 'merged' ? 201 : 200).send(r);
  });
}
