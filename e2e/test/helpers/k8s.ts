// Small client-node helpers for the e2e tests.
import { CoreV1Api, type KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { waitFor } from '../../harness/util.js';

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

export async function waitForPod(
  kc: KubeConfig, namespace: string, name: string, what: string, pred: (p: V1Pod) => boolean, timeoutMs = 90_000,
): Promise<V1Pod> {
  const core = kc.makeApiClient(CoreV1Api);
  return await waitFor(`pod ${namespace}/${name}: ${what}`, async () => {
    const p = await core.readNamespacedPod({ name, namespace });
    return pred(p) ? p : false;
  }, { timeoutMs, intervalMs: 250 });
}

export const isReady = (p: V1Pod): boolean =>
  p.status?.phase === 'Running' && (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

export const isNotReady = (p: V1Pod): boolean =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'False');

/** The agent as a pod, wired the way the manifests do it: env from the downward API. */
export function agentPod(name: string, namespace: string, extra: Partial<V1Pod['spec']> = {}): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels: { app: 'govc-agent' } },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      containers: [{
        name: 'agent',
        image: 'govc/agent:dev',
        ports: [{ name: 'http', containerPort: 8080 }],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'GOVC_HTTP_ADDR', value: '$(POD_IP):8080' },
          { name: 'GOVC_GRPC_ADDR', value: '$(POD_IP):9090' },
          { name: 'GOVC_DATA_DIR', value: '/var/lib/govc' },
          { name: 'GOVC_LOG_LEVEL', value: 'info' },
        ],
        volumeMounts: [{ name: 'data', mountPath: '/var/lib/govc' }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 1, failureThreshold: 1 },
        livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 2, failureThreshold: 30 },
      }],
      volumes: [{ name: 'data', emptyDir: {} }],
      ...extra,
    },
  };
}
