// The agents' admin token, read from the GovcCluster's Secret (cached briefly: every reconcile needs it).
import type { CoreV1Api } from '@kubernetes/client-node';
import type { GovcClusterResource } from '../crd/generated-types.js';
import { tokenSecretKey, tokenSecretName } from './agent-resources.js';

export class TokenSource {
  private readonly cache = new Map<string, { token: string; at: number }>();

  constructor(private readonly core: CoreV1Api, private readonly ttlMs = 30_000) {}

  /** The token, or undefined while the Secret (or its key) does not exist. */
  async token(cluster: GovcClusterResource): Promise<string | undefined> {
    const namespace = cluster.metadata.namespace!;
    const name = tokenSecretName(cluster);
    const key = `${namespace}/${name}/${tokenSecretKey(cluster)}`;
    const hit = this.cache.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) return hit.token;
    try {
      const secret = await this.core.readNamespacedSecret({ name, namespace });
      const raw = secret.data?.[tokenSecretKey(cluster)];
      if (!raw) return undefined;
      const token = Buffer.from(raw, 'base64').toString('utf8').trim();
      this.cache.set(key, { token, at: Date.now() });
      return token;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }
}
