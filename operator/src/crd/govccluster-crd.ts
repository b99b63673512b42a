// GovcCluster: a set of govc agents the operator runs as Pods, with the defaults its repositories inherit.
// The single source of truth for the CRD YAML (crds/govc.io_govcclusters.yaml) and the TypeScript types.
import { CustomResourceDefinition, GROUP, VERSION } from './crd-types.js';
import { Schema, bool, conditions, int, int64, list, map, obj, oneOf, quantity, secretKeyRef, str, resourceSchema } from './schema-builders.js';

export const WRITE_CONCERNS = ['async', 'quorum', 'all'];
export const CLUSTER_PHASES = ['Pending', 'Running', 'Scaling', 'Rebalancing', 'Degraded', 'Deleting'];

const resources = obj('Compute resources of each agent container (as in a Pod).', {
  requests: map('Minimum resources, e.g. cpu: 250m, memory: 256Mi.', quantity('A quantity.')),
  limits: map('Maximum resources; a memory limit also bounds the agent\'s in-memory repositories.', quantity('A quantity.')),
});

const autoscaling = obj(
  'Automatic change of spec.agents from agent load (HorizontalPodAutoscaler-like). Off by default.',
  {
    enabled: bool('Let the operator change spec.agents.', { default: false }),
    minAgents: int('Fewest agents autoscaling keeps.', { minimum: 1, default: 1 }),
    maxAgents: int('Most agents autoscaling creates.', { minimum: 1, maximum: 1000, default: 10 }),
    targets: obj('Per-agent load autoscaling aims for; the most pressed dimension decides.', {
      memoryUtilizationPercent: int('Memory in use as a percentage of the agent memory limit.', { minimum: 1, maximum: 100 }),
      cpuUtilizationPercent: int('CPU in use as a percentage of the agent CPU limit.', { minimum: 1, maximum: 100 }),
      repositoriesPerAgent: int('Repository copies (primaries and replicas) per agent.', { minimum: 1 }),
    }),
    stabilization: obj('How long recommendations are remembered before acting (flapping guard).', {
      scaleUpSeconds: int('Scale up to the lowest recommendation of this window.', { minimum: 0, maximum: 3600, default: 0 }),
      scaleDownSeconds: int('Scale down to the highest recommendation of this window.', { minimum: 0, maximum: 3600, default: 300 }),
    }),
  },
  [],
  {
    'x-kubernetes-validations': [
      { rule: 'self.minAgents <= self.maxAgents', message: 'autoscaling.minAgents must be less than or equal to autoscaling.maxAgents', fieldPath: '.minAgents' },
    ],
  },
);

const spec = obj(
  'Desired state of the cluster.',
  {
    agents: int('Number of govc agent Pods (the scale subresource\'s replicas).', { minimum: 1, maximum: 1000 }),
    image: str('Agent container image.', { default: 'govc/agent:0.1.0', minLength: 1 }),
    resources,
    memoryLimit: quantity('Memory an agent may use for repositories; becomes the container memory limit when resources.limits.memory is unset.'),
    defaults: obj('What Repositories of this cluster get when their spec leaves a field unset.', {
      replicationFactor: int('Copies of each repository, the primary included.', { minimum: 1, maximum: 9, default: 3 }),
      writeConcern: oneOf('When a write is acknowledged: async (primary applied), quorum (majority of copies), all.', WRITE_CONCERNS, { default: 'quorum' }),
    }, [], { default: {} }),
    zoneSpreading: bool('Spread agent Pods over topology.kubernetes.io/zone and each repository\'s copies over zones.', { default: true }),
    autoscaling,
    healthCheck: obj('How the operator decides an agent failed: besides its Pod status, its own Health calls (gRPC Admin) to each agent.', {
      intervalMilliseconds: int('Milliseconds between Health calls to each agent.', { minimum: 50, maximum: 60_000, default: 250 }),
      failureThreshold: int(
        'Consecutive failed checks, or intervals without an answer, before the agent counts as failed. The defaults (250 ms × 4) fail a hung agent within about 1.25 s.',
        { minimum: 1, maximum: 100, default: 4 },
      ),
    }, [], { default: {} }),
    secrets: obj('References to Secrets in this namespace.', {
      adminToken: secretKeyRef('Shared admin/replication token (at least 16 characters) for the agents\' gRPC services.', 'token'),
    }, [], { default: {} }),
  },
  ['agents'],
);

const agentStatus = obj('One agent Pod as last observed.', {
  pod: str('Pod name.'),
  ip: str('Pod IP.'),
  zone: str('topology.kubernetes.io/zone of its Node.'),
  ready: bool('Pod Ready.'),
  draining: bool('Being drained for removal (scale-in): its copies move to other agents, then its Pod is deleted.'),
  repositories: int('Repository copies placed on it.', { minimum: 0 }),
  primaries: int('Of those, primaries.', { minimum: 0 }),
  memoryBytes: int64('Memory in use, as the agent reported it.', { minimum: 0 }),
  damagedRepositories: list(
    'Repositories whose copy on this agent is quarantined (a corrupt or unreadable journal, a failing disk), as the agent reported them: a replica re-seeds itself from its primary, a primary is failed over.',
    str('Repository name.'), { 'x-kubernetes-list-type': 'set' }),
}, ['pod']);

const status = obj('Observed state, written by the operator.', {
  observedGeneration: int64('metadata.generation this status describes.', { minimum: 0 }),
  phase: oneOf('Summary: Pending, Running, Scaling, Rebalancing, Degraded or Deleting.', CLUSTER_PHASES),
  agents: int('Agent Pods that exist.', { minimum: 0 }),
  readyAgents: int('Agent Pods that are Ready (the scale subresource\'s status replicas).', { minimum: 0 }),
  selector: str('Label selector of the agent Pods (for the scale subresource).'),
  repositories: int('Repositories referencing this cluster.', { minimum: 0 }),
  readyRepositories: int('Of those, Ready.', { minimum: 0 }),
  movingRepositories: int('Of those, in motion: no primary yet, new copies catching up, or a copy on a draining agent.', { minimum: 0 }),
  drainingAgents: list('Agents being drained for removal.', str('Agent Pod name.'), { 'x-kubernetes-list-type': 'set' }),
  agentStatuses: list('Per-agent summary.', agentStatus, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['pod'] }),
  conditions: conditions('Ready, Progressing and Degraded.'),
});

export const govcClusterSchema: Schema = resourceSchema(
  'GovcCluster runs a set of govc agents and holds the defaults of the Repositories placed on them.',
  spec,
  status,
);

export const govcClusterCrd: CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `govcclusters.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'GovcCluster', listKind: 'GovcClusterList', plural: 'govcclusters', singular: 'govccluster', shortNames: ['gc', 'govc'], categories: ['govc'] },
    scope: 'Namespaced',
    versions: [{
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {}, scale: { specReplicasPath: '.spec.agents', statusReplicasPath: '.status.readyAgents', labelSelectorPath: '.status.selector' } },
      additionalPrinterColumns: [
        { name: 'Agents', type: 'integer', jsonPath: '.spec.agents', description: 'Desired agents.' },
        { name: 'Ready', type: 'integer', jsonPath: '.status.readyAgents', description: 'Ready agents.' },
        { name: 'Repositories', type: 'integer', jsonPath: '.status.repositories', description: 'Repositories on this cluster.' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.' },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
      ],
      schema: { openAPIV3Schema: govcClusterSchema },
    }],
  },
};
