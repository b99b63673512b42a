// Request metrics are kept in plain arrays and exposed through prom-client's registry in Prometheus' format.
import test from 'ava';
import { Registry } from 'prom-client';
import { RequestStats } from '../src/transports/http/request-stats.js';

test('counts by route and status, and cumulative latency buckets with sum and count', async (t) => {
  const registry = new Registry();
  const stats = new RequestStats();
  stats.register(registry);
  stats.observe('GET', '/r', 200, 0.0003);
  stats.observe('GET', '/r', 200, 0.0005); // exactly on a bound: counted in that bucket (le = "less or equal")
  stats.observe('GET', '/r', 404, 7);
  const text = await registry.metrics();
  t.regex(text, /# TYPE govc_http_requests_total counter/);
  t.regex(text, /govc_http_requests_total\{method="GET",route="\/r",status="200"\} 2/);
  t.regex(text, /govc_http_requests_total\{method="GET",route="\/r",status="404"\} 1/);
  t.regex(text, /# TYPE govc_http_request_duration_seconds histogram/);
  t.regex(text, /govc_http_request_duration_seconds_bucket\{method="GET",route="\/r",le="0.00025"\} 0\n/);
  t.regex(text, /govc_http_request_duration_seconds_bucket\{method="GET",route="\/r",le="0.0005"\} 2\n/);
  t.regex(text, /govc_http_request_duration_seconds_bucket\{method="GET",route="\/r",le="2.5"\} 2\n/);
  t.regex(text, /govc_http_request_duration_seconds_bucket\{method="GET",route="\/r",le="\+Inf"\} 3\n/);
  t.regex(text, /govc_http_request_duration_seconds_count\{method="GET",route="\/r"\} 3\n/);
  t.regex(text, /govc_http_request_duration_seconds_sum\{method="GET",route="\/r"\} 7.0008/);
});
