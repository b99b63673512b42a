// Kubernetes Events for the operator's decisions (core/v1 Events, like client-go's EventRecorder without the
// aggregation): placement, failover, creation and deletion of agents. Failures to record are logged, never fatal.
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'winston';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export class EventRecorder {
  constructor(
    private readonly core: CoreV1Api,
    private readonly log: Logger,
    private readonly component = 'govc-operator',
  ) {}

  normal(target: EventTarget, reason: string, message: string): void {
    this.record(target, 'Normal', reason, message);
  }

  warning(target: EventTarget, reason: string, message: string): void {
    this.record(target, 'Warning', reason, message);
  }

  private record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string): void {
    const namespace = target.metadata.namespace ?? 'default';
    const now = new Date();
    this.core
      .createNamespacedEvent({
        namespace,
        body: {
          metadata: { name: `${target.metadata.name}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: {
            apiVersion: target.apiVersion,
            kind: target.kind,
            name: target.metadata.name,
            namespace,
            uid: target.metadata.uid,
          },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: this.component },
          reportingComponent: this.component,
          reportingInstance: process.env.POD_NAME ?? this.component,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      })
      .catch((err: unknown) => this.log.warn('event not recorded', { reason, error: String(err) }));
  }
}
