// REST behaviour of a replicated agent, installed only when replication is on (a standalone agent pays nothing):
// writes and reads this agent cannot serve are forwarded to the repository's primary, replicas serve reads once they
// have applied the client's X-Govc-Seq, write replies wait for the repository's write concern (503
// write_concern_unmet when it is not met in time), and every reply says who served it (x-govc-served-by). Requests for
// a repository this agent does not hold go to the primary the operator routed it to (Admin.SetRoutes); without a
// route they are answered here (404). Forwarded requests are counted (govc_forwarded_requests_total).
import { Agent, request } from 'node:http';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Registry } from 'prom-client';
import { GovcError } from '../../errors.js';
import { ReplicationManager } from '../../replication/manager.js';
import { ReplicationMetrics, registerReplicationMetrics } from '../../replication/metrics.js';
import { errorBody } from './errors.js';
import { RequestRate } from './request-rate.js';

const FORWARDED = 'x-govc-forwarded';
const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 256 });

export function installReplicationHooks(app: FastifyInstance, manager: ReplicationManager, registry: Registry, rate?: RequestRate): void {
  registerReplicationMetrics(manager.metrics, registry);
  app.addHook('onRequest', async (req, reply) => {
    const write = req.method !== 'GET' && req.method !== 'HEAD';
    rate?.count(write);
    reply.header('x-govc-served-by', manager.self);
    const repo = (req.params as { repo?: string } | undefined)?.repo;
    if (repo === undefined) return;
    const assigned = manager.isAssigned(repo);
    if (assigned && req.method === 'DELETE' && req.routeOptions.url === '/api/v1/repos/:repo') {
      throw new GovcError('conflict', 'repo_assigned', `repository ${repo} is replicated; the operator removes it (Admin.Remove on every member)`);
    }
    // A request another agent forwarded is answered here whatever happens: no forwarding loops.
    if (req.headers[FORWARDED] !== undefined) return;
    const route = !assigned ? manager.routeUnassigned(repo)
      : write ? await manager.routeWrite(repo) : await manager.routeRead(repo, seqToken(req.headers['x-govc-seq']));
    if (route.kind === 'forward') forward(req, reply, route.to, manager.self, manager.metrics, write ? 'write' : 'read');
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    const seq = reply.getHeader('x-govc-seq');
    const repo = (req.params as { repo?: string } | undefined)?.repo;
    if (seq === undefined || repo === undefined || reply.statusCode >= 300) return done(null, payload);
    const wait = manager.waitForConcern(repo, Number(seq));
    if (!wait) return done(null, payload);
    wait.then(() => done(null, payload), (e: unknown) => {
      manager.metrics.concernFailures.inc();
      const err = e instanceof GovcError ? e : new GovcError('unavailable', 'write_concern_unmet', String(e));
      reply.code(err.status).header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('content-length');
      done(null, JSON.stringify(errorBody(err.code, err.message)));
    });
  });
}

function seqToken(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) return undefined;
  return Number(v);
}

/** Streams the request to `to` (host:port) and its answer back unchanged; the client sees one answer. */
function forward(req: FastifyRequest, reply: FastifyReply, to: string, self: string, metrics: ReplicationMetrics, direction: 'read' | 'write'): void {
  const i = to.lastIndexOf(':');
  const host = to.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(to.slice(i + 1));
  reply.hijack();
  const res = reply.raw;
  const headers = { ...req.headers, host: to, [FORWARDED]: self };
  const up = request({ host, port, method: req.method, path: req.url, headers, agent: upstreamAgent }, (answer) => {
    metrics.forwarded.inc({ direction, outcome: (answer.statusCode ?? 502) >= 500 ? 'upstream_error' : 'ok' });
    res.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-govc-served-by': answer.headers['x-govc-served-by'] ?? to });
    answer.pipe(res);
  });
  up.on('error', (e) => {
    if (!res.headersSent) {
      metrics.forwarded.inc({ direction, outcome: 'unreachable' });
      const body = JSON.stringify(errorBody('forward_failed', `could not reach the primary at ${to}: ${e.message}`));
      res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-request-id': req.id, 'x-govc-served-by': self });
      res.end(body);
    } else res.destroy(e);
  });
  req.raw.pipe(up);
}
