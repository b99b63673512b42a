// JSON schemas shared by routes. Fastify validates requests against them (unknown fields rejected) and serializes replies
// with them; @fastify/swagger publishes them as the OpenAPI document.
export const sha = { type: 'string', pattern: '^[0-9a-f]{40}$' } as const;
export const nullableSha = { type: ['string', 'null'], pattern: '^[0-9a-f]{40}$' } as const;

export const identityInput = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 256, description: 'no <, > or control characters; edge spaces are trimmed' },
    email: { type: 'string', maxLength: 256, description: 'no <, > or control characters; edge spaces are trimmed; may be empty' },
    date: {
      type: 'string',
      maxLength: 64,
      description: 'ISO-8601 date-time with seconds and Z or ±hh:mm (2024-05-01T12:00:00+02:00), 1970 to 9999; defaults to now',
    },
  },
} as const;

export const identity = {
  type: 'object',
  properties: { name: { type: 'string' }, email: { type: 'string' }, date: { type: 'string' } },
} as const;

export const commit = {
  type: 'object',
  properties: {
    sha, tree: sha, parents: { type: 'array', items: sha }, author: identity, committer: identity, message: { type: 'string' },
  },
} as const;

export const errorBody = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      additionalProperties: true,
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;

export const repo = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: { type: 'string' },
    defaultBranch: { type: 'string' },
    createdAt: { type: 'string' },
    head: nullableSha,
    objects: { type: 'integer' },
    memoryBytes: { type: 'integer' },
    seq: { type: 'integer' },
  },
} as const;

export const repoParams = {
  type: 'object',
  required: ['repo'],
  properties: { repo: { type: 'string' } },
} as const;

export const repoWildcardParams = {
  type: 'object',
  required: ['repo', '*'],
  properties: { repo: { type: 'string' }, '*': { type: 'string' } },
} as const;

/** Error replies every route may give, for the OpenAPI document. */
export const errors = { 400: errorBody, 404: errorBody, 409: errorBody, 413: errorBody, 415: errorBody, 422: errorBody, 503: errorBody } as const;
