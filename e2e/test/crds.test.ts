// The CRDs apply with the plane's kubectl, become Established,
// and the apiserver enforces their schemas with readable messages.
import test from 'ava';
import { join } from 'node:path';
import { repoRoot } from '../harness/paths.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);
const crdDir = join(repoRoot, 'crds');

test('CRDs apply with kubectl and become Established', async (t) => {
  const p = await plane();
  const applied = await p.kubectl(['apply', '-f', crdDir]);
  t.is(applied.code, 0, applied.stderr);
  t.regex(applied.stdout, /govcclusters\.govc\.io (created|configured|unchanged)/);
  t.regex(applied.stdout, /repositories\.govc\.io (created|configured|unchanged)/);
  const wait = await p.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s',
    'crd/govcclusters.govc.io', 'crd/repositories.govc.io']);
  t.is(wait.code, 0, wait.stderr);
  const res = await p.kubectl(['api-resources', '--api-group', 'govc.io', '-o', 'name']);
  t.is(res.code, 0, res.stderr);
  t.deepEqual(res.stdout.trim().split('\n').sort(), ['govcclusters.govc.io', 'repositories.govc.io']);
});

test('valid objects are accepted and defaults applied', async (t) => {
  const p = await plane();
  await p.kubectl(['apply', '-f', crdDir]);
  await p.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/repositories.govc.io', 'crd/govcclusters.govc.io']);
  const name = uniqueName('ok');
  const manifest = JSON.stringify({
    apiVersion: 'v1', kind: 'List', items: [
      { apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster', metadata: { name, namespace: 'default' }, spec: { agents: 3 } },
      { apiVersion: 'govc.io/v1alpha1', kind: 'Repository', metadata: { name, namespace: 'default' }, spec: { clusterRef: name } },
    ],
  });
  const r = await p.kubectl(['apply', '-f', '-'], { input: manifest });
  t.is(r.code, 0, r.stderr);
  const got = await p.kubectl(['get', 'repository', name, '-n', 'default', '-o', 'jsonpath={.spec.deletionPolicy}/{.spec.defaultBranch}']);
  t.is(got.stdout, 'Delete/main', 'deletionPolicy and defaultBranch defaulted');
  // replicationFactor is left unset (the cluster's default applies); the cluster's defaults are filled in.
  const defaults = await p.kubectl(['get', 'govccluster', name, '-n', 'default', '-o', 'jsonpath={.spec.defaults.replicationFactor}/{.spec.defaults.writeConcern}']);
  t.is(defaults.stdout, '3/quorum');
  await p.kubectl(['delete', 'govccluster,repository', name, '-n', 'default', '--wait=false']);
});

test('objects violating the schema are rejected with a readable message', async (t) => {
  const p = await plane();
  await p.kubectl(['apply', '-f', crdDir]);
  await p.kubectl(['wait', '--for', 'condition=Established', '--timeout', '60s', 'crd/repositories.govc.io', 'crd/govcclusters.govc.io']);
  const bad = JSON.stringify({
    apiVersion: 'govc.io/v1alpha1', kind: 'GovcCluster',
    metadata: { name: uniqueName('bad'), namespace: 'default' }, spec: { agents: 0 },
  });
  const r1 = await p.kubectl(['apply', '-f', '-'], { input: bad });
  t.not(r1.code, 0);
  t.regex(r1.stderr, /spec\.agents: Invalid value: 0: spec\.agents in body should be greater than or equal to 1/);

  const noRef = JSON.stringify({
    apiVersion: 'govc.io/v1alpha1', kind: 'Repository',
    metadata: { name: uniqueName('bad'), namespace: 'default' }, spec: { replicationFactor: 0 },
  });
  const r2 = await p.kubectl(['apply', '-f', '-'], { input: noRef });
  t.not(r2.code, 0);
  t.regex(r2.stderr, /spec\.clusterRef: Required value/);
  t.regex(r2.stderr, /spec\.replicationFactor: Invalid value: 0: spec\.replicationFactor in body should be greater than or equal to 1/);
});
