// Replication's Prometheus metrics, registered on the registry the REST transport exposes at /metrics.
import { Counter, Gauge, Registry } from 'prom-client';

export interface ReplicationMetrics {
  antiEntropyMismatches: Counter<'repo'>;
  antiEntropyChecks: Counter;
  snapshotsSent: Counter;
  snapshotsInstalled: Counter;
  concernFailures: Counter;
  fenced: Counter;
  /** Requests this agent forwarded to a primary; direction read|write, outcome ok|upstream_error|unreachable. */
  forwarded: Counter<'direction' | 'outcome'>;
  lag: Gauge<'role'>;
  windowBytes: Gauge;
  stalledStreams: Gauge;
}

/** What the gauges read at scrape time. */
export interface ReplicationGauges {
  /** Largest lag, in changes, over the repositories this agent is primary of / a replica of. */
  lag(): { primary: number; replica: number };
  windowBytes(): number;
  stalledStreams(): number;
}

/** Created unregistered; `registerReplicationMetrics` adds them to the REST registry once it exists. */
export function createReplicationMetrics(gauges: ReplicationGauges): ReplicationMetrics {
  const registers: Registry[] = [];
  return {
    antiEntropyMismatches: new Counter({ name: 'govc_replication_antientropy_mismatches_total', help: 'Anti-entropy checks that found a replica differing from its primary (then repaired by snapshot)', labelNames: ['repo'] as const, registers }),
    antiEntropyChecks: new Counter({ name: 'govc_replication_antientropy_checks_total', help: 'Anti-entropy checksum comparisons made', registers }),
    snapshotsSent: new Counter({ name: 'govc_replication_snapshots_sent_total', help: 'Full snapshots sent to replicas', registers }),
    snapshotsInstalled: new Counter({ name: 'govc_replication_snapshots_installed_total', help: 'Full snapshots installed from a primary', registers }),
    concernFailures: new Counter({ name: 'govc_replication_write_concern_failures_total', help: 'Writes answered 503 because their write concern was not met', registers }),
    fenced: new Counter({ name: 'govc_replication_fenced_total', help: 'Times this agent stopped acting as primary on learning a newer epoch', registers }),
    forwarded: new Counter({
      name: 'govc_forwarded_requests_total', help: 'REST requests this agent forwarded to a primary, by direction (read|write) and outcome (ok|upstream_error = 5xx|unreachable)',
      labelNames: ['direction', 'outcome'] as const, registers,
    }),
    lag: new Gauge({
      name: 'govc_replication_lag_seq', help: 'Replication lag in changes, max over repositories: as primary, its seq minus the lowest seq an in-sync replica acknowledged; as replica, the seq it is behind its primary as last heard',
      labelNames: ['role'] as const, registers,
      collect() {
        const l = gauges.lag();
        this.set({ role: 'primary' }, l.primary);
        this.set({ role: 'replica' }, l.replica);
      },
    }),
    windowBytes: new Gauge({
      name: 'govc_replication_window_bytes', help: 'Bytes held by the change windows of every repository (bounded by GOVC_REPLICATION_WINDOW_BYTES)', registers,
      collect() {
        this.set(gauges.windowBytes());
      },
    }),
    stalledStreams: new Gauge({
      name: 'govc_replication_stalled_streams', help: 'Replica streams paused because the replica does not take data fast enough', registers,
      collect() {
        this.set(gauges.stalledStreams());
      },
    }),
  };
}

export function registerReplicationMetrics(m: ReplicationMetrics, registry: Registry): void {
  for (const metric of Object.values(m)) registry.registerMetric(metric);
}
