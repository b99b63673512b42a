// One error shape for every reply: {error:{code,message,...details}} with the right status; never a stack trace.
import { FastifyError, FastifyInstance } from 'fastify';
import { GovcError } from '../../errors.js';
import { requestErrorFor } from '../../commands/git-errors.js';
import { GitFormatError } from '../../git/objects.js';
import { Logger } from '../../logger.js';

const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json'],
};

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { ...details, code, message } };
}

export function installErrorHandling(app: FastifyInstance, log: Logger): void {
  app.setErrorHandler((err: FastifyError | GovcError | Error, req, reply) => {
    if (err instanceof GovcError) {
      return reply.status(err.status).send(errorBody(err.code, err.message, err.details));
    }
    if (err instanceof GitFormatError) {
      // Stored data a command could not read as the object it needs (wrong type, missing, malformed): 422, never 500.
      const g = requestErrorFor(err);
      return reply.status(g.status).send(errorBody(g.code, g.message, g.details));
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      return reply.status(400).send(errorBody('invalid_request', `${fe.validationContext ?? 'request'} ${fe.validation[0]?.instancePath ?? ''} ${fe.validation[0]?.message ?? fe.message}`.replace(/\s+/g, ' ').trim()));
    }
    const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
    if (mapped) return reply.status(mapped[0]).send(errorBody(mapped[1], fe.message));
    if (err instanceof SyntaxError && fe.statusCode === 400) return reply.status(400).send(errorBody('invalid_json', err.message));
    if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send(errorBody('bad_request', fe.message));
    }
    log.error('unhandled error', { reqId: req.id, route: req.routeOptions.url, err: err.message, stack: err.stack });
    return reply.status(500).send(errorBody('internal', 'internal error; see the agent log for the request id'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.status(404).send(errorBody('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
}
