// Durability, visibility and quarantine on REST, in one place for every route:
// - a write is answered only once its change is committed — durable, and so visible to reads (the repository's commit
//   point, Repository.afterCommitted): every successful reply carrying `x-govc-seq` waits for the commit point to reach
//   it; a write whose journal write or sync failed answers 503 repository_damaged instead and is never acknowledged.
//   Any other answer to a write (a 409 naming the branch's current head, a merge that was already up to date, an
//   import with nothing new) may describe changes still pending: it waits for the commit point to reach the newest
//   seq, so no answer ever shows what a crash could take back. Creating and deleting a repository (no seq) wait in
//   their routes. Runs before the replication hooks' wait for the write concern.
// - a quarantined repository answers 503 repository_damaged (the message says why) on every route except
//   DELETE /repos/{repo}, so an admin can drop it. Requests forwarded to another agent never reach this check.
import { FastifyInstance, FastifyRequest } from 'fastify';
import { GovcError } from '../../errors.js';
import { RepositoryStore } from '../../store/repository-store.js';
import { damagedError, type Repository } from '../../store/repository.js';
import { errorBody } from './errors.js';

const DELETE_REPO = '/api/v1/repos/:repo';

export function installDurabilityHooks(app: FastifyInstance, store: RepositoryStore): void {
  // Callback-style hooks: they run on every request, and async hooks cost a promise each.
  // The repository a request found: its answer waits for that one's commit point even if the name is deleted and
  // created again meanwhile.
  const found = new WeakMap<FastifyRequest, Repository>();
  app.addHook('preHandler', (req, _reply, done) => {
    const name = (req.params as { repo?: string } | undefined)?.repo;
    if (name === undefined || !store.has(name)) return done();
    const repo = store.get(name);
    // Reads wait for nothing (they see the committed state): only writes need their repository at onSend.
    if (req.method !== 'GET' && req.method !== 'HEAD') found.set(req, repo);
    const { damage } = repo;
    if (damage === undefined || (req.method === 'DELETE' && req.routeOptions.url === DELETE_REPO)) return done();
    done(damagedError(name, damage));
  });
  app.addHook('onSend', (req, reply, payload, done) => {
    const repo = found.get(req);
    // Deleting a repository waits for nothing of it.
    if (repo === undefined || (req.method === 'DELETE' && req.routeOptions.url === DELETE_REPO)) return done(null, payload);
    const header = reply.getHeader('x-govc-seq');
    let seq: number;
    if (header !== undefined && reply.statusCode < 300) seq = Number(header);
    else if (req.method !== 'GET' && req.method !== 'HEAD' && reply.statusCode < 500) seq = repo.seq;
    else return done(null, payload);
    const waiting = repo.afterCommitted(seq, (e) => {
      if (!e) return done(null, payload);
      const err = e instanceof GovcError ? e : new GovcError('unavailable', 'not_durable', String(e));
      // Not acknowledged: no seq to read one's writes at.
      reply.removeHeader('x-govc-seq');
      reply.removeHeader('content-length');
      reply.code(err.status).header('content-type', 'application/json; charset=utf-8');
      done(null, JSON.stringify(errorBody(err.code, err.message)));
    });
    if (!waiting) done(null, payload);
  });
}
