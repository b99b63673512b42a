// Prometheus metrics: per-route request counts and latency, what the store holds (and how much of it is quarantined),
// and the journal's group commit when the agent persists.
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { JournalStats } from '../../persistence/journal-stats.js';
import { RepositoryStore } from '../../store/repository-store.js';
import { registerJournalMetrics } from './journal-metrics.js';
import { RequestStats } from './request-stats.js';

export interface HttpMetrics {
  registry: Registry;
  /** Counts one finished request and its latency. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(store: RepositoryStore, journal?: JournalStats): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const stats = new RequestStats();
  stats.register(registry);
  new Gauge({ name: 'govc_repositories', help: 'Repositories held', registers: [registry], collect() { this.set(store.count); } });
  new Gauge({ name: 'govc_objects', help: 'Git objects held', registers: [registry], collect() { this.set(store.objectCount); } });
  new Gauge({ name: 'govc_object_bytes', help: 'Raw bytes of the git objects held', registers: [registry], collect() { this.set(store.objectBytes); } });
  new Gauge({ name: 'govc_memory_bytes', help: 'Bytes held in memory by repositories (objects, index, refs)', registers: [registry], collect() { this.set(store.memoryBytes); } });
  new Gauge({ name: 'govc_repositories_damaged', help: 'Repositories quarantined because their files on disk are damaged', registers: [registry], collect() { this.set(store.damagedNames().length); } });
  if (journal) registerJournalMetrics(registry, journal);
  return { registry, observe: (method, route, status, seconds) => stats.observe(method, route, status, seconds) };
}
