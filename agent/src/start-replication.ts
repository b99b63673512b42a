// Wires replication into an agent: the manager (roles per repository), the gRPC listener for Admin and Replication,
// the peer connector replicas use, and periodic anti-entropy. Only called when a token is configured.
import { ReplicationConfig } from './config.js';
import { Logger } from './logger.js';
import { startAntiEntropy } from './replication/anti-entropy.js';
import { ReplicationManager } from './replication/manager.js';
import { RepositoryStore } from './store/repository-store.js';
import { GrpcPeerConnector } from './transports/grpc/peer-connector.js';
import { startGrpcServer } from './transports/grpc/server.js';
import { RequestRate } from './transports/http/request-rate.js';

export interface ReplicationNode {
  manager: ReplicationManager;
  rate: RequestRate;
  /** Starts the gRPC listener; call once REST is up. */
  listen(info: { version: string; isReady: () => boolean; drain: () => void }): Promise<void>;
  close(): Promise<void>;
}

export function createReplicationNode(cfg: ReplicationConfig & { token: string }, store: RepositoryStore, dataDir: string, log: Logger): ReplicationNode {
  const peers = new GrpcPeerConnector(cfg.token);
  const manager = new ReplicationManager({
    store, dataDir, self: cfg.advertiseAddr, httpAddr: cfg.httpAdvertiseAddr, peers, log,
    concernTimeoutMs: cfg.writeConcernTimeoutMs, readWaitMs: cfg.readWaitMs, windowBytes: cfg.windowBytes,
  });
  manager.start();
  const rate = new RequestRate();
  const stopAntiEntropy = cfg.antiEntropyMs > 0 ? startAntiEntropy(manager, peers, cfg.antiEntropyMs, log) : () => {};
  let server: Awaited<ReturnType<typeof startGrpcServer>> | undefined;
  return {
    manager,
    rate,
    async listen(info) {
      server = await startGrpcServer({
        manager, token: cfg.token, host: cfg.grpc.host, port: cfg.grpc.port,
        info: {
          drain: info.drain,
          health: () => ({ ready: info.isReady(), draining: manager.draining, version: info.version, advertiseAddr: cfg.advertiseAddr, httpAddr: cfg.httpAdvertiseAddr }),
          stats: () => {
            const cpu = process.cpuUsage();
            const r = rate.rates();
            return {
              repositories: store.count, memoryBytes: store.memoryBytes, memoryLimitBytes: memoryLimit(),
              cpuSeconds: (cpu.user + cpu.system) / 1e6, requestRate: r.requests, writeRate: r.writes,
              advertiseAddr: cfg.advertiseAddr, httpAddr: cfg.httpAdvertiseAddr, damagedRepos: store.damagedNames(),
            };
          },
        },
      });
      log.info('grpc listening', { grpc: `${cfg.grpc.host}:${server.port}`, advertise: cfg.advertiseAddr });
    },
    async close() {
      stopAntiEntropy();
      manager.stop();
      await server?.close();
      peers.close();
    },
  };
}

/** The cgroup memory limit, 0 when there is none (Node reports "none" as a huge number). */
function memoryLimit(): number {
  const v = process.constrainedMemory?.() ?? 0;
  return v > 0 && v < 2 ** 53 ? v : 0;
}
