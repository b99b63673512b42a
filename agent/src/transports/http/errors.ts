// One error shape for every reply: {error:{code,message,...details}} with the right status; never a stack trace.
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
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
  // Raised by the router before any route or hook runs (see frameworkErrorHandler).
  FST_ERR_BAD_URL: [400, 'invalid_url'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long'],
};

export function errorBody(code: string, message: string, details?: Record<string, unknown>) {
  return { error: { ...details, code, message } };
}

/**
 * For fastify's `clientErrorHandler` option: requests node's HTTP parser refuses before fastify sees them (a
 * Content-Length that is not a number or disagrees with another, Transfer-Encoding with Content-Length, garbage, headers
 * over the limit) get the one error shape too. As node and fastify do, the connection is then closed.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message]: [number, string, string] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'the request headers are over the size limit']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout', 'the request did not arrive in time']
        : [400, 'malformed_http', `the request is not valid HTTP/1.1 (${err.code ?? 'parse error'})`];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/** For fastify's `frameworkErrors` option: URLs the router cannot decode get the one error shape too, not fastify's own. */
export function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const [status, code] = FASTIFY_CODES[err.code] ?? [400, 'bad_request'];
  reply.status(status).send(errorBody(code, err.message));
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
