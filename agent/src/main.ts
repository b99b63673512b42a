// Standalone agent: configuration from the environment, repositories in memory backed by the local-disk tier, REST on
// GOVC_HTTP_ADDR. Stops cleanly on SIGTERM/SIGINT (finishes in-flight requests, closes journals).
import './threadpool.js'; // first: sizes libuv's thread pool before anything uses it
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfig } from './config.js';
import { watchEventLoop } from './event-loop-watch.js';
import { createLogger, flushLogs } from './logger.js';
import { LocalDiskPersistence } from './persistence/local-disk.js';
import { ReplicationNode, createReplicationNode } from './start-replication.js';
import { RepositoryStore } from './store/repository-store.js';
import { createHttpServer } from './transports/http/server.js';
import { closeWorkers, configureWorkers } from './workers/pool.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`govc-agent: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  configureWorkers({ threads: config.workerThreads });
  const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  const store = new RepositoryStore();
  let ready = false;
  let persistence: LocalDiskPersistence | undefined;
  if (config.dataDir !== '') {
    persistence = new LocalDiskPersistence(config.dataDir, log, { fsync: config.fsync });
    const started = Date.now();
    const report = persistence.loadInto(store);
    // Each damaged repository was logged on its own; the others serve.
    log.info('loaded repositories from disk', {
      dataDir: config.dataDir, fsync: config.fsync, repositories: report.repositories, changes: report.changes,
      repaired: report.repaired, damaged: report.damaged.map((d) => d.repo), ms: Date.now() - started,
    });
  }
  const rc = config.replication;
  let replication: ReplicationNode | undefined;
  if (rc.token !== undefined) replication = createReplicationNode({ ...rc, token: rc.token }, store, config.dataDir, log);
  else if (rc.grpcRequested) log.warn('GOVC_GRPC_ADDR is set but no GOVC_TOKEN or GOVC_TOKEN_FILE: gRPC (admin, replication) stays off');
  let draining = false;
  const isReady = () => ready && !draining;
  const app = await createHttpServer({
    store, log, bodyLimit: config.bodyLimit, limits: config.limits, isReady, version, journal: persistence?.stats,
    replication: replication && { manager: replication.manager, rate: replication.rate },
  });
  await app.listen({ host: config.http.host, port: config.http.port });
  await replication?.listen({ version, isReady, drain: () => (draining = true) });
  ready = true;
  // From here on (loading journals and setting up routes block by design, before anything is served).
  watchEventLoop(log);
  log.info('agent listening', { http: `${config.http.host}:${config.http.port}`, dataDir: config.dataDir || '(memory only)', version });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    ready = false;
    log.info('stopping', { signal });
    await replication?.close();
    await app.close();
    await closeWorkers();
    await persistence?.close();
    flushLogs();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`govc-agent: fatal: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
