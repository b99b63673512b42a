// Repository: one Git repository the operator places on a GovcCluster's agents (a primary and replicas).
// The single source of truth for the CRD YAML (crds/govc.io_repositories.yaml) and the TypeScript types.
import { CustomResourceDefinition, GROUP, VERSION } from './crd-types.js';
import { WRITE_CONCERNS } from './govccluster-crd.js';
import { Schema, conditions, int, int64, list, obj, oneOf, str, resourceSchema } from './schema-builders.js';

export const REPOSITORY_PHASES = ['Pending', 'Placing', 'Ready', 'Degraded', 'Deleting'];
const agentName = str('Agent Pod name.', { maxLength: 253 });

const spec = obj(
  'Desired state of the repository.',
  {
    clusterRef: str('Name of the GovcCluster (same namespace) that hosts the repository. Immutable.', {
      minLength: 1,
      maxLength: 253,
      'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: 'clusterRef is immutable' }],
    }),
    replicationFactor: int('Copies, the primary included. Unset: the cluster\'s defaults.replicationFactor.', {
      minimum: 1,
      maximum: 9,
      'x-kubernetes-validations': [{ rule: 'self >= 1', message: 'replicationFactor must be at least 1 (the primary is a copy)' }],
    }),
    writeConcern: oneOf('When a write is acknowledged: async, quorum or all. Unset: the cluster\'s defaults.writeConcern.', WRITE_CONCERNS),
    defaultBranch: str('Branch created with the repository and reported in status.head.', {
      default: 'main',
      minLength: 1,
      maxLength: 255,
      pattern: '^[A-Za-z0-9._/-]+$',
    }),
    deletionPolicy: oneOf('On deletion of this object: Delete removes the repository from its agents, Retain keeps the data.', ['Delete', 'Retain'], { default: 'Delete' }),
    source: obj('Initial content (not implemented yet: reserved for importing a bundle).', {
      bundleURL: str('URL of a Git bundle to import when the repository is created.', { maxLength: 2048, pattern: '^https?://' }),
    }),
  },
  ['clusterRef'],
);

const member = obj('One copy of the repository.', {
  agent: agentName,
  address: str('The agent\'s gRPC address (pod IP:port) the replica set was assigned with.'),
  role: oneOf('primary or replica.', ['primary', 'replica']),
}, ['agent', 'address', 'role']);

const damagedCopy = obj('One quarantined copy.', {
  agent: agentName,
  role: oneOf('Its role in the recorded replica set.', ['primary', 'replica']),
  damage: str('Why, as the agent reported it (e.g. "journal is corrupt: record at byte 1234 fails its checksum").', { maxLength: 1024 }),
  since: str('When the operator first saw it damaged (RFC 3339).', { format: 'date-time' }),
}, ['agent', 'role', 'damage', 'since']);

const status = obj('Observed state, written by the operator.', {
  observedGeneration: int64('metadata.generation this status describes.', { minimum: 0 }),
  phase: oneOf('Summary: Pending, Placing, Ready, Degraded or Deleting.', REPOSITORY_PHASES),
  primary: agentName,
  replicas: list('Agents holding a replica, sorted.', agentName, { 'x-kubernetes-list-type': 'set' }),
  members: list('Every copy with the address it was assigned with.', member, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['agent'] }),
  epoch: int64('Assignment epoch: grows with every change of the replica set or primary.', { minimum: 0 }),
  replicationFactor: int('Effective replication factor (spec or cluster default).', { minimum: 1 }),
  writeConcern: oneOf('Effective write concern (spec or cluster default).', WRITE_CONCERNS),
  inSyncReplicas: list('Replicas the primary reports in sync.', agentName, { 'x-kubernetes-list-type': 'set' }),
  previousEpoch: obj('The replica set of the epoch before: a failover that finds the current epoch never took effect decides on it.', {
    epoch: int64('That epoch.', { minimum: 0 }),
    primary: agentName,
    replicas: list('Its replicas, sorted.', agentName, { 'x-kubernetes-list-type': 'set' }),
    writeConcern: oneOf('Its write concern.', WRITE_CONCERNS),
  }),
  head: str('Commit id of the default branch on the primary.'),
  appliedSeq: int64('Change sequence number the primary has applied.', { minimum: 0 }),
  lastFailover: obj('The last time the primary was replaced.', {
    time: str('When (RFC 3339).', { format: 'date-time' }),
    from: agentName,
    to: agentName,
    reason: str('Why.'),
  }),
  damagedCopies: list(
    'Copies an agent quarantined (a corrupt or unreadable journal, a failing disk), as the agents report them; cleared once healed. A damaged replica re-seeds itself from the primary; a damaged primary is failed over to an in-sync replica and then re-seeds as one; a damaged copy nothing can replace (the only copy, or no in-sync replica) leaves the repository unavailable: Ready False, reason CopyDamaged.',
    damagedCopy, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['agent'] }),
  conditions: conditions('Scheduled, Ready and Replicated.'),
});

export const repositorySchema: Schema = resourceSchema(
  'Repository is a Git repository kept in memory by a GovcCluster\'s agents: one primary and replicas.',
  spec,
  status,
);

export const repositoryCrd: CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: `repositories.${GROUP}` },
  spec: {
    group: GROUP,
    names: { kind: 'Repository', listKind: 'RepositoryList', plural: 'repositories', singular: 'repository', shortNames: ['repo', 'repos'], categories: ['govc'] },
    scope: 'Namespaced',
    versions: [{
      name: VERSION,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: 'Cluster', type: 'string', jsonPath: '.spec.clusterRef', description: 'Hosting GovcCluster.' },
        { name: 'Primary', type: 'string', jsonPath: '.status.primary', description: 'Agent holding the primary.' },
        { name: 'Replicas', type: 'string', jsonPath: '.status.replicas', description: 'Agents holding replicas.' },
        { name: 'Epoch', type: 'integer', jsonPath: '.status.epoch', description: 'Assignment epoch.' },
        { name: 'Ready', type: 'string', jsonPath: '.status.conditions[?(@.type=="Ready")].status', description: 'Ready condition.' },
        { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Summary of the state.', priority: 1 },
        { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
      ],
      schema: { openAPIV3Schema: repositorySchema },
    }],
  },
};
