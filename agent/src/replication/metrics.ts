// Replication's Prometheus metrics, registered on the registry the REST transport exposes at /metrics.
import { Counter, Registry } from 'prom-client';

export interface ReplicationMetrics {
  antiEntropyMismatches: Counter<'repo'>;
  antiEntropyChecks: Counter;
  snapshotsSent: Counter;
  snapshotsInstalled: Counter;
  concernFailures: Counter;
  fenced: Counter;
}

/** Created unregistered; `registerReplicationMetrics` adds them to the REST registry once it exists. */
export function createReplicationMetrics(): ReplicationMetrics {
  const registers: Registry[] = [];
  return {
    antiEntropyMismatches: new Counter({ name: 'govc_replication_antientropy_mismatches_total', help: 'Anti-entropy checks that found a replica differing from its primary (then repaired by snapshot)', labelNames: ['repo'] as const, registers }),
    antiEntropyChecks: new Counter({ name: 'govc_replication_antientropy_checks_total', help: 'Anti-entropy checksum comparisons made', registers }),
    snapshotsSent: new Counter({ name: 'govc_replication_snapshots_sent_total', help: 'Full snapshots sent to replicas', registers }),
    snapshotsInstalled: new Counter({ name: 'govc_replication_snapshots_installed_total', help: 'Full snapshots installed from a primary', registers }),
    concernFailures: new Counter({ name: 'govc_replication_write_concern_failures_total', help: 'Writes answered 503 because their write concern was not met', registers }),
    fenced: new Counter({ name: 'govc_replication_fenced_total', help: 'Times this agent stopped acting as primary on learning a newer epoch', registers }),
  };
}

export function registerReplicationMetrics(m: ReplicationMetrics, registry: Registry): void {
  for (const metric of Object.values(m)) registry.registerMetric(metric);
}
