import test from 'ava';
import { agentPod, clientService, disruptionBudget, headlessService, ordinalOf } from '../src/controllers/agent-resources.js';
import { clusterStatus } from '../src/controllers/cluster-status.js';
import type { GovcClusterResource } from '../src/crd/generated-types.js';

const cluster: GovcClusterResource = {
  apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster',
  metadata: { name: 'demo', namespace: 'ns', uid: 'u1', generation: 2 },
  spec: { agents: 3, image: 'govc/agent:1', memoryLimit: '1Gi', zoneSpreading: true },
};

test('agent Pod: owner, downward-API addresses, token from the Secret, zone spreading, memory limit', (t) => {
  const pod = agentPod(cluster, 1);
  t.is(pod.metadata?.name, 'demo-agent-1');
  t.is(pod.metadata?.ownerReferences?.[0]?.uid, 'u1');
  const c = pod.spec!.containers[0];
  const env = Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
  t.deepEqual(env.POD_IP, { fieldRef: { fieldPath: 'status.podIP' } });
  t.is(env.GOVC_GRPC_ADDR, '$(POD_IP):9090');
  t.is(env.GOVC_ADVERTISE_ADDR, '$(POD_IP):9090');
  t.deepEqual(env.GOVC_TOKEN, { secretKeyRef: { name: 'demo-admin-token', key: 'token' } });
  t.is(c.resources?.limits?.memory, '1Gi');
  t.is(pod.spec?.topologySpreadConstraints?.[0]?.topologyKey, 'topology.kubernetes.io/zone');
  t.is(agentPod({ ...cluster, spec: { ...cluster.spec, zoneSpreading: false } }, 0).spec?.topologySpreadConstraints, undefined);
});

test('Services and PodDisruptionBudget select the agents', (t) => {
  t.is(headlessService(cluster).spec?.clusterIP, 'None');
  t.is(clientService(cluster).metadata?.name, 'demo');
  t.is(disruptionBudget(cluster).spec?.maxUnavailable, 1);
  t.is(disruptionBudget(cluster).spec?.selector?.matchLabels?.['govc.io/cluster'], 'demo');
});

test('ordinals are read from names only when they are ours', (t) => {
  t.is(ordinalOf('demo', 'demo-agent-12'), 12);
  t.is(ordinalOf('demo', 'demo-agent-01'), undefined);
  t.is(ordinalOf('demo', 'demo-x-agent-1'), undefined);
});

test('cluster status counts ready agents and copies per agent', (t) => {
  const agents = [0, 1, 2].map((i) => ({
    name: `demo-agent-${i}`, ip: `127.0.0.${i}`, zone: `z${i}`, ready: i < 2, addr: '', httpAddr: '', terminating: false, incarnation: '',
  }));
  const repos = [{
    apiVersion: 'govc.io/v1alpha1' as const, kind: 'Repository' as const, metadata: { name: 'r' },
    spec: { clusterRef: 'demo' }, status: { primary: 'demo-agent-0', replicas: ['demo-agent-1'], phase: 'Ready' as const },
  }];
  const s = clusterStatus(cluster, agents, new Map([['demo-agent-0', 1000]]), repos, 0);
  t.is(s.readyAgents, 2);
  t.is(s.phase, 'Degraded', 'a not-ready agent with an IP counts as failed');
  t.deepEqual(s.agentStatuses?.map((a) => [a.pod, a.repositories, a.primaries]), [['demo-agent-0', 1, 1], ['demo-agent-1', 1, 0], ['demo-agent-2', 0, 0]]);
  t.is(s.agentStatuses?.[0].memoryBytes, 1000);
  t.is(s.observedGeneration, 2);
});
