// client-node 1.x builds a new https.Agent for every API request (KubeConfig.createAgent, called per request), so
// every call pays a TCP connect and a TLS handshake: most of the operator's CPU under load. This shares one
// keep-alive agent per set of TLS options (CA, client certificate and key, server name), so a rotated certificate
// still gets a fresh agent.
import { createHash } from 'node:crypto';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

type CreateAgent = (cluster: unknown, options: AgentOptions) => HttpAgent | HttpsAgent;

const MAX_AGENTS = 8;

export function shareAgents(kc: KubeConfig): void {
  // createAgent is private in client-node's typings; it is the one place every request and watch gets its agent.
  const target = kc as unknown as { createAgent: CreateAgent };
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, HttpAgent | HttpsAgent>();
  target.createAgent = (cluster, options) => {
    const h = createHash('sha256');
    for (const v of [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, options.rejectUnauthorized]) {
      h.update(v === undefined ? '-' : Buffer.isBuffer(v) ? v : JSON.stringify(v)).update('\0');
    }
    const key = h.digest('hex');
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...options, keepAlive: true, maxSockets: 64 });
      if (agents.size >= MAX_AGENTS) {
        const [oldest] = agents.keys();
        agents.get(oldest)?.destroy();
        agents.delete(oldest);
      }
      agents.set(key, agent);
    }
    return agent;
  };
}
