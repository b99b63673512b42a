// Git bundles: export all refs, import one made by `git bundle create`. Both run in worker threads: the export streams
// the bundle as a worker deflates it, the import is parsed and checked in a worker and applied here.
import { FastifyInstance } from 'fastify';
import { exportBundleStream, importBundle } from '../../../commands/bundle.js';
import { repositoryReplaced } from '../../../commands/bundle-import.js';
import { RouteContext, RepoParams } from '../context.js';
import { errors, repoParams } from '../schemas.js';

export const BUNDLE_TYPES = ['application/x-git-bundle', 'application/octet-stream'];

export function bundleRoutes(app: FastifyInstance, { store, limits }: RouteContext): void {
  app.get<{ Params: RepoParams }>('/repos/:repo/bundle', {
    schema: {
      summary: 'A git bundle (v2) of every ref; `git clone repo.bundle` accepts it',
      tags: ['bundles'],
      params: repoParams,
      response: { 200: { type: 'string', format: 'binary' }, ...errors },
    },
  }, async (req, reply) => {
    const repo = store.get(req.params.repo);
    const bundle = await exportBundleStream(repo);
    return reply
      .type('application/x-git-bundle')
      .header('content-disposition', `attachment; filename="${repo.name}.bundle"`)
      .send(bundle);
  });

  app.post<{ Params: RepoParams; Body: Buffer }>('/repos/:repo/bundle', {
    schema: {
      summary: 'Import a git bundle: new refs are created, existing ones only fast-forward',
      tags: ['bundles'],
      params: repoParams,
      consumes: BUNDLE_TYPES,
      // For the OpenAPI document: the body is the bundle file, in either media type.
      body: { type: 'string', format: 'binary', description: 'a git bundle (v2 or v3) as `git bundle create` writes it' },
      response: {
        200: {
          type: 'object',
          properties: {
            objects: { type: 'integer' },
            defaultBranch: { type: 'string' },
            refs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, old: { type: ['string', 'null'] }, new: { type: ['string', 'null'] } } } },
          },
        },
        ...errors,
      },
    },
    // The body schema above documents the bytes; fastify's JSON validator cannot judge a Buffer, so this route checks
    // its parts itself (the media-type hook has already refused anything but a bundle body).
    validatorCompiler: ({ httpPart }) => (data: unknown) =>
      httpPart !== 'body' || Buffer.isBuffer(data) ? { value: data } : { error: new Error('body must be a git bundle') },
  }, async (req, reply) => {
    const name = req.params.repo;
    const r = await importBundle(store.get(name), req.body, {
      limits,
      donate: true,
      stillCurrent: (repo) => {
        if (store.get(name) !== repo) throw repositoryReplaced(name);
      },
    });
    if (r.seq !== undefined) reply.header('x-govc-seq', String(r.seq));
    return r;
  });
}
