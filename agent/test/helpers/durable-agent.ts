// Test harness: an in-process agent backed by the local-disk tier, with the sync function injectable (to hold syncs back
// or make them fail) and the persistence's log captured. The production wiring otherwise (main.ts does the same).
import { LocalDiskPersistence, PersistenceOptions } from '../../src/persistence/local-disk.js';
import { SyncFn, fdatasyncFn } from '../../src/persistence/group-commit.js';
import { createLogger } from '../../src/logger.js';
import { RepositoryStore } from '../../src/store/repository-store.js';
import { createHttpServer } from '../../src/transports/http/server.js';
import { Client } from './agent.js';
import { ControlledFileOp, errnoError } from './controlled-file-op.js';

export interface LogLine {
  level: 'warn' | 'error';
  message: string;
  meta?: Record<string, unknown>;
}

export interface DurableAgent {
  client: Client;
  root: string;
  store: RepositoryStore;
  persistence: LocalDiskPersistence;
  logs: LogLine[];
  close(): Promise<void>;
}

export async function startDurableAgent(dataDir: string, opts: PersistenceOptions = {}): Promise<DurableAgent> {
  const logs: LogLine[] = [];
  const log = {
    warn: (message: string, meta?: Record<string, unknown>) => logs.push({ level: 'warn', message, meta }),
    error: (message: string, meta?: Record<string, unknown>) => logs.push({ level: 'error', message, meta }),
  };
  const store = new RepositoryStore();
  const persistence = new LocalDiskPersistence(dataDir, log, opts);
  persistence.loadInto(store);
  const app = await createHttpServer({
    store, log: createLogger('error'), bodyLimit: 64 * 1024 * 1024, isReady: () => true, version: 'test', journal: persistence.stats,
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no address');
  const root = `http://127.0.0.1:${addr.port}`;
  return {
    client: new Client(`${root}/api/v1`), root, store, persistence, logs,
    async close() {
      await app.close();
      await persistence.close();
    },
  };
}

/**
 * A sync function that can be held back (every sync waits until released) or made to fail for the files `failOn`
 * matches, counting the syncs it was asked for; otherwise the real fdatasync.
 */
export class ControlledSync extends ControlledFileOp {
  readonly fn: SyncFn = (fd) =>
    this.around(fd, (path) => errnoError('EIO', `EIO: i/o error, fdatasync (${path})`), () => fdatasyncFn(fd));
}

/** A sample's value in a Prometheus text exposition (NaN when absent). */
export async function metric(root: string, name: string): Promise<number> {
  const text = await (await fetch(`${root}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : NaN;
}
