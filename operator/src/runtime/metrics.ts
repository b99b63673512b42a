// The operator's Prometheus metrics: reconciles by controller and result, their durations, queue depth, leadership.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class OperatorMetrics {
  readonly registry = new Registry();
  readonly reconciles = new Counter({
    name: 'govc_operator_reconciles_total',
    help: 'Reconciles by controller and result (success, requeue, error, conflict).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'govc_operator_reconcile_errors_total',
    help: 'Reconciles that failed, by controller.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'govc_operator_reconcile_duration_seconds',
    help: 'Time per reconcile, by controller.',
    labelNames: ['controller'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'govc_operator_queue_depth',
    help: 'Keys waiting in a controller work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'govc_operator_leader',
    help: '1 while this replica holds the leader Lease.',
    registers: [this.registry],
  });
  readonly agentCalls = new Counter({
    name: 'govc_operator_agent_calls_total',
    help: 'Admin gRPC calls to agents, by method and result.',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'govc_operator_' });
  }
}
