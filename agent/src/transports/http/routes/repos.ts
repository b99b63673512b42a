// Repositories: create, list (paginated), get, delete.
import { FastifyInstance } from 'fastify';
import { invalid } from '../../../errors.js';
import { RouteContext, RepoParams } from '../context.js';
import { repoJson } from '../present.js';
import { errors, repo, repoParams } from '../schemas.js';

interface CreateBody {
  name: string;
  defaultBranch?: string;
  description?: string;
}

export function repoRoutes(app: FastifyInstance, { store }: RouteContext): void {
  app.post<{ Body: CreateBody }>('/repos', {
    schema: {
      summary: 'Create a repository',
      tags: ['repositories'],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          defaultBranch: { type: 'string', minLength: 1, maxLength: 255 },
          description: { type: 'string', maxLength: 4096 },
        },
      },
      response: { 201: repo, ...errors },
    },
  }, async (req, reply) => {
    const r = store.create(req.body);
    await r.whenDurable(0); // the creation itself is on disk
    return reply.status(201).header('location', `/api/v1/repos/${r.name}`).send(repoJson(r));
  });

  app.get<{ Querystring: { limit?: number; cursor?: string } }>('/repos', {
    schema: {
      summary: 'List repositories by name, a page at a time',
      tags: ['repositories'],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 }, cursor: { type: 'string' } },
      },
      response: {
        200: { type: 'object', properties: { repositories: { type: 'array', items: repo }, next: { type: 'string' } } },
        ...errors,
      },
    },
  }, async (req) => {
    let after: string | undefined;
    if (req.query.cursor !== undefined) {
      after = Buffer.from(req.query.cursor, 'base64url').toString('utf8');
      if (after === '') throw invalid('invalid_cursor', 'cursor is not one this server issued');
    }
    const page = store.list(req.query.limit ?? 100, after);
    const body: { repositories: ReturnType<typeof repoJson>[]; next?: string } = { repositories: page.items.map(repoJson) };
    if (page.next !== undefined) body.next = Buffer.from(page.next).toString('base64url');
    return body;
  });

  app.get<{ Params: RepoParams }>('/repos/:repo', {
    schema: { summary: 'Get a repository', tags: ['repositories'], params: repoParams, response: { 200: repo, ...errors } },
  }, async (req) => repoJson(store.get(req.params.repo)));

  app.delete<{ Params: RepoParams }>('/repos/:repo', {
    schema: { summary: 'Delete a repository and everything in it', tags: ['repositories'], params: repoParams, response: { 204: { type: 'null' }, ...errors } },
  }, async (req, reply) => {
    await store.delete(req.params.repo); // answered once the deletion is durable
    return reply.status(204).send();
  });
}
