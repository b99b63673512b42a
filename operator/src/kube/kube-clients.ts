// The API clients the operator uses, and the request options for merge patches (custom resources reject strategic
// merge patch; a metadata.resourceVersion in the body makes a patch conditional: 409 when the object moved on).
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';

import { KubeRest } from './kube-rest.js';
import { shareAgents } from './shared-agent.js';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export interface KubeClients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  coordination: CoordinationV1Api;
  policy: PolicyV1Api;
  /** The hot writes (status, finalizers, Events): see kube-rest.ts. */
  rest: KubeRest;
}

export function makeClients(kc: KubeConfig): KubeClients {
  shareAgents(kc);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    custom: kc.makeApiClient(CustomObjectsApi),
    coordination: kc.makeApiClient(CoordinationV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
    rest: new KubeRest(kc),
  };
}

/** Lease and Event MicroTime: the API wants exactly six fractional digits (client-node sends three). */
export function microTime(at: Date | number = Date.now()): string {
  return new Date(at).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
