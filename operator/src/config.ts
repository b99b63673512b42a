// The operator's settings, from the environment.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

export interface OperatorConfig {
  /** host:port of /healthz, /readyz and /metrics. */
  httpAddr: string;
  leaseNamespace: string;
  leaseName: string;
  identity: string;
  leaseDurationSeconds: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  clusterWorkers: number;
  repositoryWorkers: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): OperatorConfig {
  const leaseDurationSeconds = positive(env.GOVC_LEASE_DURATION_SECONDS, 15);
  return {
    httpAddr: env.GOVC_OPERATOR_HTTP_ADDR || '0.0.0.0:8081',
    leaseNamespace: env.GOVC_LEASE_NAMESPACE || env.POD_NAMESPACE || 'govc-system',
    leaseName: env.GOVC_LEASE_NAME || 'govc-operator',
    // Unique per process (client-go: hostname_uuid): a restarted container must not inherit its predecessor's Lease.
    identity: `${env.POD_NAME || hostname()}_${randomBytes(4).toString('hex')}`,
    leaseDurationSeconds,
    renewDeadlineMs: Math.round(leaseDurationSeconds * 1000 * (2 / 3)),
    retryPeriodMs: positive(env.GOVC_LEASE_RETRY_MS, Math.max(500, Math.round((leaseDurationSeconds * 1000) / 7))),
    clusterWorkers: positive(env.GOVC_CLUSTER_WORKERS, 2),
    repositoryWorkers: positive(env.GOVC_REPOSITORY_WORKERS, 16),
  };
}

function positive(v: string | undefined, fallback: number): number {
  const n = Number(v);
  return v && Number.isFinite(n) && n > 0 ? n : fallback;
}
