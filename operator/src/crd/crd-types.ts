// The shape of a CustomResourceDefinition as generate-yaml.ts writes it (only what the govc CRDs use).
import type { Schema } from './schema-builders.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface CustomResourceDefinition {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'CustomResourceDefinition';
  metadata: { name: string; annotations?: Record<string, string> };
  spec: {
    group: string;
    names: { kind: string; listKind: string; plural: string; singular: string; shortNames: string[]; categories: string[] };
    scope: 'Namespaced';
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      subresources: {
        status: Record<string, never>;
        scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
      };
      additionalPrinterColumns: PrinterColumn[];
      schema: { openAPIV3Schema: Schema };
    }>;
  };
}

export const GROUP = 'govc.io';
export const VERSION = 'v1alpha1';
