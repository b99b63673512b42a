// Kubernetes Events for the operator's decisions (core/v1 Events, like client-go's EventRecorder): placement,
// failover, creation and deletion of agents. Routine decisions made for many objects at once (placing thousands of
// new repositories) go through batch(): one Event per target and reason per second naming what it covered, instead
// of one API write per object (client-go's EventAggregator does the same for similar events). Failures to record
// are logged, never fatal.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'winston';
import type { KubeRest } from '../kube/kube-rest.js';

export interface EventTarget {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

/** Items listed in a batched Event's message before "… and N more". */
const LISTED = 20;

/** The message of a batched Event: `what` and the count, then the first `listed` items. */
export function batchMessage(what: string, items: readonly string[], listed = LISTED): string {
  const shown = items.slice(0, listed).join('; ');
  const rest = items.length > listed ? `; … and ${items.length - listed} more` : '';
  return `${what} ${items.length}: ${shown}${rest}`;
}

interface Batch {
  target: EventTarget;
  type: 'Normal' | 'Warning';
  reason: string;
  what: string;
  items: string[];
}

export class EventRecorder {
  private readonly batches = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly rest: KubeRest,
    private readonly log: Logger,
    private readonly component = 'govc-operator',
    private readonly batchMs = 1_000,
  ) {}

  normal(target: EventTarget, reason: string, message: string): void {
    this.record(target, 'Normal', reason, message);
  }

  warning(target: EventTarget, reason: string, message: string): void {
    this.record(target, 'Warning', reason, message);
  }

  /** Adds `item` to the next Event of `reason` on `target`, whose message starts with `what` and the count. */
  batch(target: EventTarget, reason: string, what: string, item: string): void {
    const key = `${target.metadata.uid ?? `${target.metadata.namespace}/${target.metadata.name}`}|${reason}|${what}`;
    let b = this.batches.get(key);
    if (!b) {
      b = { target, type: 'Normal', reason, what, items: [] };
      this.batches.set(key, b);
    }
    b.items.push(item);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.batchMs);
      this.timer.unref();
    }
  }

  /** Sends the pending batched Events now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const pending = [...this.batches.values()];
    this.batches.clear();
    for (const b of pending) this.record(b.target, b.type, b.reason, batchMessage(b.what, b.items), b.items.length);
  }

  private record(target: EventTarget, type: 'Normal' | 'Warning', reason: string, message: string, count = 1): void {
    const namespace = target.metadata.namespace ?? 'default';
    const now = new Date().toISOString();
    this.rest
      .post(`/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
        apiVersion: 'v1',
        kind: 'Event',
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
        count,
      })
      .catch((err: unknown) => this.log.warn('event not recorded', { reason, error: String(err) }));
  }
}
