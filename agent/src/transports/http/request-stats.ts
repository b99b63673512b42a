// Per-route request counts and latency histograms, kept in plain arrays on the request path and turned into Prometheus
// metrics only when /metrics is scraped. prom-client's own Counter/Histogram re-hash their label objects on every
// observation, which cost tens of microseconds per request here; the exposition format is the same.
import { Registry } from 'prom-client';

const BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

interface Latency {
  method: string;
  route: string;
  counts: Float64Array; // per bucket, not cumulative
  sum: number;
  count: number;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export class RequestStats {
  private readonly requests = new Map<string, { method: string; route: string; status: string; value: number }>();
  private readonly latency = new Map<string, Latency>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const rk = `${method} ${status} ${route}`;
    const r = this.requests.get(rk);
    if (r) r.value++;
    else this.requests.set(rk, { method, route, status: String(status), value: 1 });
    const lk = `${method} ${route}`;
    let l = this.latency.get(lk);
    if (!l) this.latency.set(lk, (l = { method, route, counts: new Float64Array(BUCKETS.length + 1), sum: 0, count: 0 }));
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]) b++;
    l.counts[b]++;
    l.sum += seconds;
    l.count++;
  }

  register(registry: Registry): void {
    const requests = {
      name: 'govc_http_requests_total',
      get: async () => ({
        name: 'govc_http_requests_total', help: 'HTTP requests by route and status', type: 'counter', aggregator: 'sum',
        values: [...this.requests.values()].map((r): MetricValue => ({ labels: { method: r.method, route: r.route, status: r.status }, value: r.value })),
      }),
    };
    const duration = {
      name: 'govc_http_request_duration_seconds',
      get: async () => ({
        name: 'govc_http_request_duration_seconds', help: 'HTTP request latency by route', type: 'histogram', aggregator: 'sum',
        values: [...this.latency.values()].flatMap((l) => histogramValues('govc_http_request_duration_seconds', l)),
      }),
    };
    // Custom collectors: the registry only needs a name and get(); see prom-client's Registry.getMetricsAsString.
    registry.registerMetric(requests as unknown as Parameters<Registry['registerMetric']>[0]);
    registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0]);
  }
}

function histogramValues(name: string, l: Latency): MetricValue[] {
  const out: MetricValue[] = [];
  let cumulative = 0;
  for (let b = 0; b < BUCKETS.length; b++) {
    cumulative += l.counts[b];
    out.push({ labels: { method: l.method, route: l.route, le: BUCKETS[b] }, value: cumulative, metricName: `${name}_bucket` });
  }
  out.push({ labels: { method: l.method, route: l.route, le: '+Inf' }, value: l.count, metricName: `${name}_bucket` });
  out.push({ labels: { method: l.method, route: l.route }, value: l.sum, metricName: `${name}_sum` });
  out.push({ labels: { method: l.method, route: l.route }, value: l.count, metricName: `${name}_count` });
  return out;
}
