// Small builders for OpenAPI v3 structural schemas, so the CRDs read like their Go-typed counterparts: every field
// carries its description, and objects list what is required. The CRD YAML and the TypeScript types are generated
// from the schemas built here (see generate-yaml.ts and generate-types.ts).

/** The subset of JSONSchemaProps the govc CRDs use. */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  /** Required on every field but the root's metadata (the API server forbids anything there but its type). */
  description?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  enum?: string[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  maxItems?: number;
  pattern?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelRule[];
}

export interface CelRule {
  rule: string;
  message: string;
  /** Field path the error is reported on, e.g. ".minAgents". */
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

type Extra = Omit<Schema, 'type' | 'description'>;

export const str = (description: string, extra: Extra = {}): Schema => ({ type: 'string', description, ...extra });
export const int = (description: string, extra: Extra = {}): Schema => ({ type: 'integer', description, ...extra });
export const int64 = (description: string, extra: Extra = {}): Schema => int(description, { format: 'int64', ...extra });
export const bool = (description: string, extra: Extra = {}): Schema => ({ type: 'boolean', description, ...extra });
export const oneOf = (description: string, values: string[], extra: Extra = {}): Schema => str(description, { enum: values, ...extra });
export const list = (description: string, items: Schema, extra: Extra = {}): Schema => ({ type: 'array', description, items, ...extra });
export const map = (description: string, values: Schema, extra: Extra = {}): Schema => ({ type: 'object', description, additionalProperties: values, ...extra });
/** A resource.Quantity ("512Mi", "1.5", 2). */
export const quantity = (description: string): Schema => ({
  description,
  'x-kubernetes-int-or-string': true,
  pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$',
});

export function obj(description: string, properties: Record<string, Schema>, required: string[] = [], extra: Extra = {}): Schema {
  return { type: 'object', description, properties, ...(required.length > 0 ? { required } : {}), ...extra };
}

/** metav1.Condition, as every Kubernetes API writes it. */
export const conditions = (description: string): Schema =>
  list(
    description,
    obj(
      'One aspect of the current state (metav1.Condition).',
      {
        type: str('Condition type in CamelCase, e.g. Ready.', { maxLength: 316 }),
        status: oneOf('True, False or Unknown.', ['True', 'False', 'Unknown']),
        observedGeneration: int64('metadata.generation the condition was computed from.', { minimum: 0 }),
        lastTransitionTime: str('When the status last changed (RFC 3339).', { format: 'date-time' }),
        reason: str('Machine-readable CamelCase reason for the last transition.', { maxLength: 1024, minLength: 1 }),
        message: str('Human-readable details.', { maxLength: 32768 }),
      },
      ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    ),
    { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] },
  );

/** A reference to one key of a Secret in the resource's namespace. */
export const secretKeyRef = (description: string, defaultKey: string): Schema =>
  obj(description, {
    name: str('Secret name (same namespace). Unset: the operator uses "<cluster>-admin-token" and creates it with a random token if missing.', { maxLength: 253 }),
    key: str('Key within the Secret.', { default: defaultKey, minLength: 1, maxLength: 253 }),
  });

/** A custom resource's top-level schema: the common apiVersion/kind/metadata around its spec (required) and status. */
export function resourceSchema(description: string, spec: Schema, status: Schema): Schema {
  return obj(
    description,
    {
      apiVersion: str('APIVersion of this representation of the object.'),
      kind: str('Kind of the object.'),
      metadata: { type: 'object' },
      spec,
      status,
    },
    ['spec'],
  );
}
