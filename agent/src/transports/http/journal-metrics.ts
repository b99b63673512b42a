// Prometheus exposition of the journal's group commit (persistence/journal-stats.ts), read when /metrics is scraped:
// govc_journal_fsyncs_total, govc_journal_fsync_failures_total, and histograms of the changes each fdatasync made
// durable (govc_journal_fsync_batch_size) and of its duration (govc_journal_fsync_seconds).
import { Registry } from 'prom-client';
import { Histogram, JournalStats } from '../../persistence/journal-stats.js';

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

type Collector = Parameters<Registry['registerMetric']>[0];

function collector(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]): Collector {
  // Custom collectors: the registry only needs a name and get(); see prom-client's Registry.getMetricsAsString.
  return { name, get: async () => ({ name, help, type, aggregator: 'sum', values: values() }) } as unknown as Collector;
}

function histogramValues(name: string, h: Histogram): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  for (let b = 0; b < h.buckets.length; b++) {
    cumulative += h.counts[b];
    out.push({ labels: { le: h.buckets[b] }, value: cumulative, metricName: `${name}_bucket` });
  }
  out.push({ labels: { le: '+Inf' }, value: h.count, metricName: `${name}_bucket` });
  out.push({ labels: {}, value: h.sum, metricName: `${name}_sum` });
  out.push({ labels: {}, value: h.count, metricName: `${name}_count` });
  return out;
}

export function registerJournalMetrics(registry: Registry, stats: JournalStats): void {
  registry.registerMetric(collector('govc_journal_fsyncs_total', 'fdatasyncs of repository journals (one per batch of concurrent writes)', 'counter',
    () => [{ labels: {}, value: stats.fsyncs }]));
  registry.registerMetric(collector('govc_journal_fsync_failures_total', 'Journal syncs that failed (each quarantined its repository)', 'counter',
    () => [{ labels: {}, value: stats.failures }]));
  registry.registerMetric(collector('govc_journal_fsync_batch_size', 'Changes made durable by one journal fdatasync', 'histogram',
    () => histogramValues('govc_journal_fsync_batch_size', stats.batch)));
  registry.registerMetric(collector('govc_journal_fsync_seconds', 'Duration of one journal fdatasync', 'histogram',
    () => histogramValues('govc_journal_fsync_seconds', stats.seconds)));
}
