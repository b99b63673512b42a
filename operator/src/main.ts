// govc operator entry point: health/metrics server at once, then leader election; only the leader starts the
// informers and controllers. Losing the Lease exits the process (the Pod restarts as a standby), as
// controller-runtime does. SIGTERM releases the Lease so a standby takes over at once.
import { loadConfig } from './config.js';
import { loadKubeConfig } from './kube/kube-config.js';
import { makeClients } from './kube/kube-clients.js';
import { Operator } from './operator.js';
import { startHealthServer } from './runtime/health-server.js';
import { LeaderElector } from './runtime/leader-election.js';
import { makeLogger } from './runtime/logger.js';
import { OperatorMetrics } from './runtime/metrics.js';

const log = makeLogger();
const cfg = loadConfig();
const clients = makeClients(loadKubeConfig());
const metrics = new OperatorMetrics();
const elector = new LeaderElector(clients, {
  namespace: cfg.leaseNamespace,
  name: cfg.leaseName,
  identity: cfg.identity,
  leaseDurationSeconds: cfg.leaseDurationSeconds,
  renewDeadlineMs: cfg.renewDeadlineMs,
  retryPeriodMs: cfg.retryPeriodMs,
}, log);
let operator: Operator | undefined;
let apiReachable = false;

const server = await startHealthServer(cfg.httpAddr, {
  // The lease loop is alive (it attempts every retry period, leader or not).
  healthy: () => Date.now() - elector.lastAttempt < cfg.leaseDurationSeconds * 1000 * 3,
  ready: () => apiReachable,
}, metrics.registry);
log.info('operator starting', { identity: cfg.identity, httpAddr: cfg.httpAddr, lease: `${cfg.leaseNamespace}/${cfg.leaseName}` });

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  metrics.leader.set(0);
  await operator?.stop().catch(() => undefined);
  await elector.release();
  server.close();
  log.info('operator stopped', { code });
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));

// Readiness: the API answers with our credentials (a standby is ready too: it serves metrics and waits).
void (async () => {
  for (;;) {
    try {
      await clients.coordination.listNamespacedLease({ namespace: cfg.leaseNamespace, limit: 1 });
      apiReachable = true;
      return;
    } catch (err) {
      log.warn('API server not reachable yet', { error: String(err) });
      await new Promise((r) => setTimeout(r, 2_000));
    }
  }
})();

await elector.acquire(() => {
  log.error('leadership lost; exiting so a standby takes over');
  void shutdown(1);
});
if (!stopping) {
  metrics.leader.set(1);
  operator = new Operator(clients, cfg, metrics, log);
  await operator.start();
  log.info('controllers started');
}
