// A ServiceAccount's token (TokenRequest API) is allowed exactly what its
// Role grants and denied (403) the rest — through client-node and kubectl.
import test from 'ava';
import { CoreV1Api, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { serviceAccountCredentials } from '../harness/tokens.js';
import { waitFor } from '../harness/util.js';
import { createNamespace } from './helpers/k8s.js';
import { uniqueName, usePlane } from './helpers/plane.js';

const plane = usePlane(test);

const status = async (fn: () => Promise<unknown>): Promise<number> => {
  try {
    await fn();
    return 200;
  } catch (err) {
    const code = (err as { code?: number }).code;
    if (typeof code !== 'number') throw err;
    return code;
  }
};

test('ServiceAccount token: allowed what its Role grants, 403 otherwise', async (t) => {
  const p = await plane();
  const admin = p.adminKubeConfig();
  const core = admin.makeApiClient(CoreV1Api);
  const rbac = admin.makeApiClient(RbacAuthorizationV1Api);
  const ns = uniqueName('rbac');
  await createNamespace(admin, ns);
  await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
  await rbac.createNamespacedRole({
    namespace: ns,
    body: {
      metadata: { name: 'configmap-reader' },
      rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list', 'watch'] }],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace: ns,
    body: {
      metadata: { name: 'reader' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmap-reader' },
      subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }],
    },
  });
  await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'cfg' }, data: { k: 'v' } } });

  const sa = await serviceAccountCredentials(p, ns, 'reader');
  const saCore = sa.kubeConfig.makeApiClient(CoreV1Api);
  // RBAC is enforced as soon as the binding is visible to the authorizer's cache.
  await waitFor('RoleBinding effective', async () => (await status(() => saCore.listNamespacedConfigMap({ namespace: ns }))) === 200);
  const cm = await saCore.readNamespacedConfigMap({ name: 'cfg', namespace: ns });
  t.is(cm.data?.k, 'v');

  t.is(await status(() => saCore.listNamespacedSecret({ namespace: ns })), 403, 'secrets are not in the Role');
  t.is(await status(() => saCore.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'x' } } })), 403, 'create is not in the Role');
  t.is(await status(() => saCore.listNamespacedConfigMap({ namespace: 'default' })), 403, 'other namespaces are not granted');
  t.is(await status(() => saCore.listNode()), 403, 'cluster-scoped reads are not granted');

  // The same credentials through kubectl.
  const ok = await p.kubectl(['get', 'configmap', 'cfg', '-n', ns, '-o', 'jsonpath={.data.k}'], { kubeconfig: sa.kubeconfigPath });
  t.is(ok.code, 0, ok.stderr);
  t.is(ok.stdout, 'v');
  const denied = await p.kubectl(['get', 'secrets', '-n', ns], { kubeconfig: sa.kubeconfigPath });
  t.not(denied.code, 0);
  t.regex(denied.stderr, new RegExp(`Forbidden.*system:serviceaccount:${ns}:reader.*cannot list resource "secrets"`));
  const whoami = await p.kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], { kubeconfig: sa.kubeconfigPath });
  t.is(whoami.stdout, `system:serviceaccount:${ns}:reader`);
});

test('a token for a ServiceAccount that does not exist is refused', async (t) => {
  const p = await plane();
  const err = await t.throwsAsync(serviceAccountCredentials(p, 'default', 'no-such-sa'));
  t.is((err as unknown as { code?: number }).code, 404);
});
