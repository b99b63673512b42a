// PROCESS KUBELET (test stand-in): a container's environment, computed as a
// real kubelet does: service-link style KUBERNETES_SERVICE_* variables, then
// the container's env list in order (literal values with $(VAR) expansion,
// downward-API fieldRefs, configMap/secret keys), with envFrom before env.
import type { CoreV1Api, V1Container, V1Pod } from '@kubernetes/client-node';
import { expandVars } from './images.js';

export interface EnvContext {
  podIP: string;
  hostIP: string;
  apiserverHost: string;
  apiserverPort: number;
  core: CoreV1Api;
  /** Extra variables every container gets (e.g. the plane's process marker). */
  extra: Record<string, string>;
}

export function fieldRefValue(pod: V1Pod, fieldPath: string, ctx: EnvContext): string {
  const meta = pod.metadata ?? {};
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (m) {
    const dict = m[1] === 'labels' ? meta.labels : meta.annotations;
    return dict?.[m[2]] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName': return pod.spec?.serviceAccountName ?? '';
    case 'status.podIP': return ctx.podIP;
    case 'status.podIPs': return ctx.podIP;
    case 'status.hostIP': return ctx.hostIP;
    case 'status.hostIPs': return ctx.hostIP;
    default: throw new Error(`unsupported fieldRef ${fieldPath}`);
  }
}

async function configMapData(ctx: EnvContext, namespace: string, name: string): Promise<Record<string, string>> {
  const cm = await ctx.core.readNamespacedConfigMap({ name, namespace });
  return cm.data ?? {};
}

async function secretData(ctx: EnvContext, namespace: string, name: string): Promise<Record<string, string>> {
  const s = await ctx.core.readNamespacedSecret({ name, namespace });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

export async function buildEnv(pod: V1Pod, c: V1Container, ctx: EnvContext): Promise<Record<string, string>> {
  const ns = pod.metadata?.namespace ?? 'default';
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? '',
    KUBERNETES_SERVICE_HOST: ctx.apiserverHost,
    KUBERNETES_SERVICE_PORT: String(ctx.apiserverPort),
    KUBERNETES_SERVICE_PORT_HTTPS: String(ctx.apiserverPort),
    ...ctx.extra,
  };
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    let data: Record<string, string> = {};
    try {
      if (from.configMapRef?.name) data = await configMapData(ctx, ns, from.configMapRef.name);
      else if (from.secretRef?.name) data = await secretData(ctx, ns, from.secretRef.name);
    } catch (err) {
      const optional = from.configMapRef?.optional ?? from.secretRef?.optional ?? false;
      if (!optional) throw err;
    }
    for (const [k, v] of Object.entries(data)) env[prefix + k] = v;
  }
  for (const e of c.env ?? []) {
    if (e.valueFrom === undefined) {
      env[e.name] = expandVars(e.value ?? '', env);
      continue;
    }
    const vf = e.valueFrom;
    if (vf.fieldRef) {
      env[e.name] = fieldRefValue(pod, vf.fieldRef.fieldPath, ctx);
    } else if (vf.configMapKeyRef) {
      const ref = vf.configMapKeyRef;
      try {
        const v = (await configMapData(ctx, ns, ref.name ?? ''))[ref.key];
        if (v === undefined) throw new Error(`configmap ${ref.name} has no key ${ref.key}`);
        env[e.name] = v;
      } catch (err) {
        if (!ref.optional) throw err;
      }
    } else if (vf.secretKeyRef) {
      const ref = vf.secretKeyRef;
      try {
        const v = (await secretData(ctx, ns, ref.name ?? ''))[ref.key];
        if (v === undefined) throw new Error(`secret ${ref.name} has no key ${ref.key}`);
        env[e.name] = v;
      } catch (err) {
        if (!ref.optional) throw err;
      }
    } else if (vf.resourceFieldRef) {
      env[e.name] = '0';
    }
  }
  return env;
}
