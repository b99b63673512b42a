// Branches and tags. Names may contain "/", so the name is the rest of the URL path.
import { FastifyInstance } from 'fastify';
import { IdentityInput, toIdentity } from '../../../commands/identity.js';
import { listRefsOffLoop, sendJsonReply } from '../../../commands/off-loop.js';
import { createBranch, createTag, deleteRef, getBranch, getTag } from '../../../commands/refs.js';
import { RouteContext, RepoParams, RepoWildcardParams } from '../context.js';
import { tagJson } from '../present.js';
import { branch, branchList, tag, tagList } from '../reply-schemas.js';
import { errors, identityInput, repoParams, repoWildcardParams } from '../schemas.js';

export function refRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.get<{ Params: RepoParams }>('/repos/:repo/branches', {
    // Long listings are built and serialized by a worker from this same schema (commands/off-loop.ts).
    schema: { summary: 'List branches', tags: ['refs'], params: repoParams, response: { 200: branchList, ...errors } },
  }, async (req, reply) => {
    const listing = await listRefsOffLoop(store.get(req.params.repo), 'branch');
    return 'value' in listing ? { branches: listing.value } : sendJsonReply(reply, listing);
  });

  app.post<{ Params: RepoParams; Body: { name: string; from: string } }>('/repos/:repo/branches', {
    schema: {
      summary: 'Create a branch at any revision',
      tags: ['refs'],
      params: repoParams,
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'from'],
        properties: { name: { type: 'string', minLength: 1, maxLength: 255 }, from: { type: 'string', minLength: 1 } },
      },
      response: { 201: branch, ...errors },
    },
  }, async (req, reply) => {
    const b = createBranch(store.get(req.params.repo), req.body.name, req.body.from);
    return reply.status(201).header('x-govc-seq', String(b.seq)).send({ name: b.name, sha: b.sha });
  });

  app.get<{ Params: RepoWildcardParams }>('/repos/:repo/branches/*', {
    schema: { summary: 'Get a branch', tags: ['refs'], params: repoWildcardParams, response: { 200: branch, ...errors } },
  }, async (req) => getBranch(store.get(req.params.repo), req.params['*']));

  app.delete<{ Params: RepoWildcardParams }>('/repos/:repo/branches/*', {
    schema: { summary: 'Delete a branch (not the default one)', tags: ['refs'], params: repoWildcardParams, response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    const seq = deleteRef(store.get(req.params.repo), 'branch', req.params['*']);
    return reply.status(204).header('x-govc-seq', String(seq)).send();
  });

  app.get<{ Params: RepoParams }>('/repos/:repo/tags', {
    schema: { summary: 'List tags', tags: ['refs'], params: repoParams, response: { 200: tagList, ...errors } },
  }, async (req, reply) => {
    const listing = await listRefsOffLoop(store.get(req.params.repo), 'tag');
    return 'value' in listing ? { tags: listing.value.map(tagJson) } : sendJsonReply(reply, listing);
  });

  app.post<{ Params: RepoParams; Body: { name: string; from: string; message?: string; tagger?: IdentityInput } }>('/repos/:repo/tags', {
    schema: {
      summary: 'Create a tag: lightweight, or annotated when a message is given (then tagger is required)',
      tags: ['refs'],
      params: repoParams,
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'from'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 255 }, from: { type: 'string', minLength: 1 },
          message: { type: 'string', minLength: 1 }, tagger: identityInput,
        },
        dependencies: { message: ['tagger'], tagger: ['message'] },
      },
      response: { 201: tag, ...errors },
    },
  }, async (req, reply) => {
    const b = req.body;
    const annotation = b.message !== undefined && b.tagger ? { message: b.message, tagger: toIdentity(b.tagger, 'tagger') } : undefined;
    const t = createTag(store.get(req.params.repo), b.name, b.from, annotation);
    return reply.status(201).header('x-govc-seq', String(t.seq)).send(tagJson(t));
  });

  app.get<{ Params: RepoWildcardParams }>('/repos/:repo/tags/*', {
    schema: { summary: 'Get a tag', tags: ['refs'], params: repoWildcardParams, response: { 200: tag, ...errors } },
  }, async (req) => tagJson(getTag(store.get(req.params.repo), req.params['*'])));

  app.delete<{ Params: RepoWildcardParams }>('/repos/:repo/tags/*', {
    schema: { summary: 'Delete a tag', tags: ['refs'], params: repoWildcardParams, response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    const seq = deleteRef(store.get(req.params.repo), 'tag', req.params['*']);
    return reply.status(204).header('x-govc-seq', String(seq)).send();
  });
}
