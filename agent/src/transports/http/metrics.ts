// Prometheus metrics: per-route request counts and latency, plus what the store holds.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RepositoryStore } from '../../store/repository-store.js';

export interface HttpMetrics {
  registry: Registry;
  /** Counts one finished request and its latency. */
  observe(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(store: RepositoryStore): HttpMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'govc_http_requests_total', help: 'HTTP requests by route and status', labelNames: ['method', 'route', 'status'] as const, registers: [registry],
  });
  const duration = new Histogram({
    name: 'govc_http_request_duration_seconds', help: 'HTTP request latency by route', labelNames: ['method', 'route'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [registry],
  });
  new Gauge({ name: 'govc_repositories', help: 'Repositories held', registers: [registry], collect() { this.set(store.count); } });
  new Gauge({ name: 'govc_objects', help: 'Git objects held', registers: [registry], collect() { this.set(store.objectCount); } });
  new Gauge({ name: 'govc_object_bytes', help: 'Raw bytes of the git objects held', registers: [registry], collect() { this.set(store.objectBytes); } });
  new Gauge({ name: 'govc_memory_bytes', help: 'Bytes held in memory by repositories (objects, index, refs)', registers: [registry], collect() { this.set(store.memoryBytes); } });
  // Label children cached per (method, route, status): prom-client hashes label objects on every call otherwise.
  const children = new Map<string, { count: { inc(): void }; latency: { observe(v: number): void } }>();
  const observe = (method: string, route: string, status: number, seconds: number) => {
    const key = `${method} ${status} ${route}`;
    let child = children.get(key);
    if (!child) {
      child = { count: requests.labels(method, route, String(status)), latency: duration.labels(method, route) };
      children.set(key, child);
    }
    child.count.inc();
    child.latency.observe(seconds);
  };
  return { registry, observe };
}
