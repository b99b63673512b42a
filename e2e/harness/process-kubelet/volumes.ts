// PROCESS KUBELET (test stand-in): volumes. A process has no mount namespace,
// so each volume is a directory under the pod's directory, and a container's
// env values and args that start with a volumeMount's mountPath are rewritten
// to point into that directory. Supported: emptyDir, configMap, secret,
// downwardAPI and projected (serviceAccountToken, configMap, secret,
// downwardAPI) — enough for the auto-injected kube-api-access volume.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CoreV1Api, V1Container, V1Pod, V1Volume } from '@kubernetes/client-node';
import { fieldRefValue, type EnvContext } from './env.js';

type Files = Record<string, string>;

async function configMapFiles(core: CoreV1Api, ns: string, name: string, items?: Array<{ key: string; path: string }>): Promise<Files> {
  const data = (await core.readNamespacedConfigMap({ name, namespace: ns })).data ?? {};
  if (!items) return data;
  return Object.fromEntries(items.filter((i) => data[i.key] !== undefined).map((i) => [i.path, data[i.key]]));
}

async function secretFiles(core: CoreV1Api, ns: string, name: string, items?: Array<{ key: string; path: string }>): Promise<Files> {
  const raw = (await core.readNamespacedSecret({ name, namespace: ns })).data ?? {};
  const data = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
  if (!items) return data;
  return Object.fromEntries(items.filter((i) => data[i.key] !== undefined).map((i) => [i.path, data[i.key]]));
}

async function volumeFiles(pod: V1Pod, v: V1Volume, ctx: EnvContext): Promise<Files> {
  const ns = pod.metadata?.namespace ?? 'default';
  const core = ctx.core;
  const files: Files = {};
  if (v.configMap?.name) return await configMapFiles(core, ns, v.configMap.name, v.configMap.items);
  if (v.secret?.secretName) return await secretFiles(core, ns, v.secret.secretName, v.secret.items);
  for (const item of v.downwardAPI?.items ?? []) {
    if (item.fieldRef) files[item.path] = fieldRefValue(pod, item.fieldRef.fieldPath, ctx);
  }
  for (const src of v.projected?.sources ?? []) {
    if (src.serviceAccountToken) {
      const tr = await core.createNamespacedServiceAccountToken({
        name: pod.spec?.serviceAccountName ?? 'default',
        namespace: ns,
        body: {
          spec: {
            audiences: src.serviceAccountToken.audience ? [src.serviceAccountToken.audience] : [],
            expirationSeconds: src.serviceAccountToken.expirationSeconds ?? 3607,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid },
          },
        },
      });
      files[src.serviceAccountToken.path] = tr.status?.token ?? '';
    }
    if (src.configMap?.name) Object.assign(files, await configMapFiles(core, ns, src.configMap.name, src.configMap.items));
    if (src.secret?.name) Object.assign(files, await secretFiles(core, ns, src.secret.name, src.secret.items));
    for (const item of src.downwardAPI?.items ?? []) {
      if (item.fieldRef) files[item.path] = fieldRefValue(pod, item.fieldRef.fieldPath, ctx);
    }
  }
  return files;
}

/** Materialize the pod's volumes; returns volume name -> host directory. */
export async function setUpVolumes(pod: V1Pod, podDir: string, ctx: EnvContext): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  for (const v of pod.spec?.volumes ?? []) {
    const dir = join(podDir, 'volumes', v.name);
    mkdirSync(dir, { recursive: true });
    dirs.set(v.name, dir);
    if (v.emptyDir || v.hostPath) continue;
    for (const [path, content] of Object.entries(await volumeFiles(pod, v, ctx))) {
      const file = join(dir, path);
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, content, { mode: 0o600 });
    }
  }
  return dirs;
}

/** A function rewriting in-container paths under a mountPath to host paths. */
export function pathRewriter(c: V1Container, volumeDirs: Map<string, string>): (s: string) => string {
  const mounts = (c.volumeMounts ?? [])
    .filter((m) => volumeDirs.has(m.name))
    .map((m) => ({ from: m.mountPath.replace(/\/+$/, ''), to: join(volumeDirs.get(m.name) ?? '', m.subPath ?? '') }))
    .sort((a, b) => b.from.length - a.from.length);
  return (s: string) => {
    for (const m of mounts) {
      if (s === m.from || s.startsWith(m.from + '/')) return m.to + s.slice(m.from.length);
    }
    return s;
  };
}
