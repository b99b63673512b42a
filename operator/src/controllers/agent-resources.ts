// What a GovcCluster's agents look like in Kubernetes, as pure functions of the cluster: Pod names and labels, the
// agent Pod (env from the downward API, token from the Secret, zone spreading), the headless and client Services and
// the PodDisruptionBudget. The cluster reconciler creates these; nothing here talks to the API server.
import type { V1Pod, V1PodDisruptionBudget, V1Service, V1OwnerReference } from '@kubernetes/client-node';
import type { GovcClusterResource } from '../crd/generated-types.js';

export const HTTP_PORT = 8080;
export const GRPC_PORT = 9090;
export const DATA_DIR = '/var/lib/govc';
export const CLUSTER_LABEL = 'govc.io/cluster';
export const ORDINAL_LABEL = 'govc.io/agent-ordinal';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

export function agentLabels(cluster: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'govc-agent',
    'app.kubernetes.io/instance': cluster,
    'app.kubernetes.io/managed-by': 'govc-operator',
    [CLUSTER_LABEL]: cluster,
  };
}

/** The selector of a cluster's agent Pods (status.selector, for the scale subresource). */
export function agentSelector(cluster: string): string {
  return `app.kubernetes.io/name=govc-agent,${CLUSTER_LABEL}=${cluster}`;
}

export const agentPodName = (cluster: string, ordinal: number): string => `${cluster}-agent-${ordinal}`;
export const headlessServiceName = (cluster: string): string => `${cluster}-agents`;
export const tokenSecretName = (c: GovcClusterResource): string => c.spec.secrets?.adminToken?.name || `${c.metadata.name}-admin-token`;
export const tokenSecretKey = (c: GovcClusterResource): string => c.spec.secrets?.adminToken?.key || 'token';

export function ownerRef(c: GovcClusterResource): V1OwnerReference {
  return { apiVersion: c.apiVersion, kind: c.kind, name: c.metadata.name!, uid: c.metadata.uid!, controller: true, blockOwnerDeletion: true };
}

/** The ordinal of an agent Pod of this cluster, or undefined for a Pod not named like one. */
export function ordinalOf(cluster: string, podName: string): number | undefined {
  const prefix = `${cluster}-agent-`;
  if (!podName.startsWith(prefix)) return undefined;
  const rest = podName.slice(prefix.length);
  return /^(0|[1-9]\d*)$/.test(rest) ? Number(rest) : undefined;
}

export function agentPod(c: GovcClusterResource, ordinal: number): V1Pod {
  const cluster = c.metadata.name!;
  const name = agentPodName(cluster, ordinal);
  const labels = { ...agentLabels(cluster), [ORDINAL_LABEL]: String(ordinal) };
  const limits = { ...(c.spec.resources?.limits ?? {}) };
  if (c.spec.memoryLimit !== undefined && limits.memory === undefined) limits.memory = c.spec.memoryLimit;
  const resources = {
    ...(c.spec.resources?.requests ? { requests: stringValues(c.spec.resources.requests) } : {}),
    ...(Object.keys(limits).length > 0 ? { limits: stringValues(limits) } : {}),
  };
  const spread = c.spec.zoneSpreading !== false;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: c.metadata.namespace, labels, ownerReferences: [ownerRef(c)] },
    spec: {
      hostname: name,
      subdomain: headlessServiceName(cluster),
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 10,
      enableServiceLinks: false,
      automountServiceAccountToken: false,
      ...(spread
        ? {
            topologySpreadConstraints: [
              { maxSkew: 1, topologyKey: ZONE_LABEL, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: agentLabels(cluster) } },
              { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: agentLabels(cluster) } },
            ],
          }
        : {}),
      containers: [{
        name: 'agent',
        image: c.spec.image || 'govc/agent:0.1.0',
        ports: [
          { name: 'http', containerPort: HTTP_PORT },
          { name: 'grpc', containerPort: GRPC_PORT },
        ],
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'GOVC_HTTP_ADDR', value: `$(POD_IP):${HTTP_PORT}` },
          { name: 'GOVC_GRPC_ADDR', value: `$(POD_IP):${GRPC_PORT}` },
          { name: 'GOVC_ADVERTISE_ADDR', value: `$(POD_IP):${GRPC_PORT}` },
          { name: 'GOVC_DATA_DIR', value: DATA_DIR },
          { name: 'GOVC_LOG_LEVEL', value: 'warn' },
          { name: 'GOVC_TOKEN', valueFrom: { secretKeyRef: { name: tokenSecretName(c), key: tokenSecretKey(c) } } },
        ],
        ...(Object.keys(resources).length > 0 ? { resources } : {}),
        volumeMounts: [{ name: 'data', mountPath: DATA_DIR }],
        readinessProbe: { httpGet: { path: '/readyz', port: 'http' }, periodSeconds: 2, failureThreshold: 2 },
        livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 5, failureThreshold: 6 },
      }],
      volumes: [{ name: 'data', emptyDir: {} }],
    },
  };
}

function stringValues(m: Record<string, number | string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, String(v)]));
}

/** Headless Service: stable DNS names <pod>.<cluster>-agents for the agents (and their gRPC port). */
export function headlessService(c: GovcClusterResource): V1Service {
  const cluster = c.metadata.name!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: headlessServiceName(cluster), namespace: c.metadata.namespace, labels: agentLabels(cluster), ownerReferences: [ownerRef(c)] },
    spec: {
      clusterIP: 'None',
      publishNotReadyAddresses: true,
      selector: agentLabels(cluster),
      ports: [
        { name: 'http', port: HTTP_PORT, targetPort: 'http' },
        { name: 'grpc', port: GRPC_PORT, targetPort: 'grpc' },
      ],
    },
  };
}

/** Client Service: REST on any ready agent (agents forward to the primary). */
export function clientService(c: GovcClusterResource): V1Service {
  const cluster = c.metadata.name!;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: cluster, namespace: c.metadata.namespace, labels: agentLabels(cluster), ownerReferences: [ownerRef(c)] },
    spec: { selector: agentLabels(cluster), ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  };
}

/** At most one agent voluntarily down at a time: with three copies a quorum survives it. */
export function disruptionBudget(c: GovcClusterResource): V1PodDisruptionBudget {
  const cluster = c.metadata.name!;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: headlessServiceName(cluster), namespace: c.metadata.namespace, labels: agentLabels(cluster), ownerReferences: [ownerRef(c)] },
    spec: { maxUnavailable: 1, selector: { matchLabels: agentLabels(cluster) } },
  };
}
