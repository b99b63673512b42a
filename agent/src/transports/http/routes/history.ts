// Comparing two revisions and merging one into a branch: both computed in a worker thread (commands/off-loop.ts).
import { FastifyInstance } from 'fastify';
import { invalid } from '../../../errors.js';
import { repositoryReplaced } from '../../../commands/bundle-import.js';
import { DEFAULT_COMPARE_LIMIT, MAX_COMPARE_LIMIT } from '../../../commands/compare.js';
import { IdentityInput, toIdentity } from '../../../commands/identity.js';
import { compareOffLoop, mergeOffLoop, sendJsonReply } from '../../../commands/off-loop.js';
import { RouteContext, RepoParams, RepoWildcardParams } from '../context.js';
import { compareReply } from '../reply-schemas.js';
import { errors, identityInput, repoParams, repoWildcardParams, sha } from '../schemas.js';

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
      // Serialized by the worker from this same schema (workers/reply-json.ts).
      response: { 200: compareReply, ...errors },
    },
  }, async (req, reply) => {
    const spec = req.params['*'];
    const parts = spec.split('...');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw invalid('invalid_compare', `expected base...head, got ${JSON.stringify(spec)}`);
    const c = await compareOffLoop(store.get(req.params.repo), parts[0], parts[1], { limit: req.query.limit, cursor: req.query.cursor });
    return sendJsonReply(reply, c);
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
    const name = req.params.repo;
    const r = await mergeOffLoop(store.get(name), {
      base: b.base, head: b.head, message: b.message, author, committer: author, noFastForward: b.noFastForward,
      allowUnrelatedHistories: b.allowUnrelatedHistories,
    }, (repo) => {
      if (store.get(name) !== repo) throw repositoryReplaced(name);
    });
    if (r.seq !== undefined) reply.header('x-govc-seq', String(r.seq));
    return reply.status(r.status === 'merged' ? 201 : 200).send(r);
  });
}
