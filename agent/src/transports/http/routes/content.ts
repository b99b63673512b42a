// Reading files (raw bytes, ETag = blob id) and directory listings at any revision.
import { FastifyInstance, FastifyReply } from 'fastify';
import { listTreeOffLoop, sendJsonReply } from '../../../commands/off-loop.js';
import { readFile } from '../../../commands/read.js';
import { RouteContext, RepoParams, RepoWildcardParams } from '../context.js';
import { notModified } from '../etag.js';
import { treeListing } from '../reply-schemas.js';
import { errors, repoParams, repoWildcardParams } from '../schemas.js';

const refQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { ref: { type: 'string', minLength: 1, description: 'any revision (as `git rev-parse <ref>^{commit}` reads it); default HEAD' } },
} as const;

export function contentRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get<{ Params: RepoWildcardParams; Querystring: { ref?: string } }>('/repos/:repo/files/*', {
    schema: {
      summary: 'Raw bytes of a file at a revision',
      description: 'The ETag is the blob id; If-None-Match with that tag (weak or strong, alone or in a list) or `*` gives 304.',
      tags: ['content'],
      params: repoWildcardParams,
      querystring: refQuery,
      response: { 200: { type: 'string', format: 'binary' }, ...errors },
    },
  }, async (req, reply) => {
    const file = readFile(store.get(req.params.repo), req.query.ref ?? 'HEAD', req.params['*']);
    const etag = `"${file.id}"`;
    reply.header('etag', etag).header('x-govc-commit', file.commit).header('x-govc-mode', file.mode);
    if (notModified(req.headers['if-none-match'], etag)) return reply.status(304).send();
    return reply.type('application/octet-stream').send(file.data);
  });

  // Large trees are listed and serialized by a worker from the same schema (commands/off-loop.ts).
  const tree = async (reply: FastifyReply, repoName: string, ref: string | undefined, path: string) => {
    const listing = await listTreeOffLoop(store.get(repoName), ref ?? 'HEAD', path);
    return 'value' in listing ? listing.value : sendJsonReply(reply, listing);
  };

  app.get<{ Params: RepoParams; Querystring: { ref?: string } }>('/repos/:repo/tree', {
    schema: { summary: 'Root directory listing', tags: ['content'], params: repoParams, querystring: refQuery, response: { 200: treeListing, ...errors } },
  }, async (req, reply) => tree(reply, req.params.repo, req.query.ref, ''));

  app.get<{ Params: RepoWildcardParams; Querystring: { ref?: string } }>('/repos/:repo/tree/*', {
    schema: { summary: 'Directory listing at a path', tags: ['content'], params: repoWildcardParams, querystring: refQuery, response: { 200: treeListing, ...errors } },
  }, async (req, reply) => tree(reply, req.params.repo, req.query.ref, req.params['*']));
}
