// The REST transport: fastify with schema validation, one error shape, one log line and metrics per request,
// all routes under /api/v1 and described by /api/v1/openapi.json.
import { randomUUID } from 'node:crypto';
import Fastify, { FastifyInstance, FastifyRequest, preValidationHookHandler } from 'fastify';
import swagger from '@fastify/swagger';
import { Logger, requestLogger } from '../../logger.js';
import { RepositoryStore } from '../../store/repository-store.js';
import { DEFAULT_LIMITS, Limits } from '../../limits.js';
import { RouteContext } from './context.js';
import { clientErrorHandler, errorBody, frameworkErrorHandler, installErrorHandling } from './errors.js';
import { installJsonBodyParser } from './json-offload.js';
import { collectBody } from './body-collector.js';
import { installDurabilityHooks } from './durability-hooks.js';
import { createMetrics } from './metrics.js';
import { JournalStats } from '../../persistence/journal-stats.js';
import { ReplicationManager } from '../../replication/manager.js';
import { installReplicationHooks } from './replication-hooks.js';
import { RequestRate } from './request-rate.js';
import { BUNDLE_TYPES, bundleRoutes } from './routes/bundle.js';
import { commitRoutes } from './routes/commits.js';
import { contentRoutes } from './routes/content.js';
import { historyRoutes } from './routes/history.js';
import { refRoutes } from './routes/refs.js';
import { repoRoutes } from './routes/repos.js';
import { requestValidatorCompiler } from './validators.js';

export interface HttpServerOptions {
  store: RepositoryStore;
  log: Logger;
  bodyLimit: number;
  /** Size and shape limits (default: DEFAULT_LIMITS). */
  limits?: Limits;
  /** Answers /readyz: false while loading or draining. */
  isReady: () => boolean;
  version: string;
  /** The journal's group-commit counters, exposed on /metrics (when the agent persists). */
  journal?: JournalStats;
  /** Replication on: forwarding, read-your-writes and write-concern waits (see replication-hooks.ts). */
  replication?: { manager: ReplicationManager; rate?: RequestRate };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function createHttpServer(opts: HttpServerOptions): Promise<FastifyInstance> {
  const { store, log } = opts;
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit,
    // Clients may pass their own request id for tracing; anything odd gets a fresh one.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    return503OnClosing: true,
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  const metrics = createMetrics(store, opts.journal);
  const logRequest = requestLogger(log);
  // Bodies validated strictly, query strings and path parameters coerced only to their declared scalars (validators.ts).
  app.setValidatorCompiler(requestValidatorCompiler());

  // JSON and bundles only: anything else gets 415 instead of being coerced. JSON is parsed from the raw bytes, so that
  // invalid UTF-8 and lone surrogates are refused instead of turned into U+FFFD (json-body.ts); large bodies (and
  // their file contents: decoded and hashed) in a worker thread (json-offload.ts).
  app.removeContentTypeParser('text/plain');
  const limits = opts.limits ?? DEFAULT_LIMITS;
  installJsonBodyParser(app, limits, opts.bodyLimit);
  app.addContentTypeParser(BUNDLE_TYPES, (req: FastifyRequest, payload: NodeJS.ReadableStream) => collectBody(req, payload, opts.bodyLimit));
  // Callback-style hooks: they run on every request, and async hooks cost a promise each. The media-type check is
  // attached only to routes that take a body, so reads do not pay for it.
  const checkMediaType = (wantsBuffer: boolean): preValidationHookHandler => (req, reply, done) => {
    if (req.body === undefined || wantsBuffer === Buffer.isBuffer(req.body)) return done();
    const expected = wantsBuffer ? BUNDLE_TYPES.join(' or ') : 'application/json';
    reply.status(415).send(errorBody('unsupported_media_type', `this route takes ${expected}`));
  };
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    if (!methods.some((m) => m === 'POST' || m === 'PUT' || m === 'PATCH')) return;
    const own = route.preValidation === undefined ? [] : Array.isArray(route.preValidation) ? route.preValidation : [route.preValidation];
    route.preValidation = [checkMediaType(route.url.endsWith('/bundle')), ...own];
  });
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-request-id', req.id);
    done();
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    metrics.observe(req.method, route, status, seconds);
    // Never the body or query values: they may carry file contents or secrets.
    logRequest('request', { reqId: req.id, method: req.method, route, status, us: Math.round(reply.elapsedTime * 1000) });
    done();
  });
  installErrorHandling(app, log);
  // Before the replication hooks: a reply waits for its own durability, then for the write concern.
  installDurabilityHooks(app, store);
  if (opts.replication) installReplicationHooks(app, opts.replication.manager, metrics.registry, opts.replication.rate);

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'govc agent API', version: opts.version, description: 'Memory-first Git repositories over REST' },
      servers: [{ url: '/' }],
    },
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) =>
    opts.isReady() ? { status: 'ready' } : reply.status(503).send(errorBody('not_ready', 'agent is starting or draining')));
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) =>
    reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  const ctx: RouteContext = { store, log, limits };
  await app.register(async (api) => {
    repoRoutes(api, ctx);
    commitRoutes(api, ctx);
    contentRoutes(api, ctx);
    refRoutes(api, ctx);
    historyRoutes(api, ctx);
    bundleRoutes(api, ctx);
    api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  }, { prefix: '/api/v1' });
  await app.ready();
  return app;
}
