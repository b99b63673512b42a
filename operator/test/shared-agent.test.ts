import test from 'ava';
import { KubeConfig } from '@kubernetes/client-node';
import { shareAgents } from '../src/kube/shared-agent.js';

test('one keep-alive agent per set of TLS options, not one per request', (t) => {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  shareAgents(kc);
  // The private method every request goes through (see shared-agent.ts).
  const create = (kc as unknown as { createAgent(c: unknown, o: object): { keepAlive?: boolean; destroy(): void } }).createAgent;
  const cluster = kc.getCurrentCluster();
  const a = create(cluster, { ca: 'CA', cert: 'C1' });
  t.is(create(cluster, { ca: 'CA', cert: 'C1' }), a);
  t.true(a.keepAlive);
  const b = create(cluster, { ca: 'CA', cert: 'C2' });
  t.not(b, a, 'a rotated client certificate gets its own agent');
  a.destroy();
  b.destroy();
});
