// Request validation with one JSON-schema compiler per part of an HTTP request, because the parts differ:
// - bodies are JSON, typed by their sender: validated strictly, never coerced (`"content": 123`, `"mode": 100755`,
//   `"branch": ["main"]`, `"message": true` are 400s, not "123", "100755", "main" and "true");
// - query strings and path parameters arrive as text: a value is coerced only to the scalar type its schema declares
//   (`?limit=10` → 10), never wrapped into or unwrapped from an array (`?ref=a&ref=b` is a 400, not "a").
// Defaults are filled in everywhere; unknown fields are refused by the schemas themselves (additionalProperties: false).
import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';

const COMMON: Options = {
  useDefaults: true,
  removeAdditional: false,
  allErrors: false,
  // Route schemas are compiled once each; fastify's own compiler does not add them to the instance either.
  addUsedSchema: false,
};

export function requestValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const strict = new Ajv({ ...COMMON, coerceTypes: false });
  const scalarCoercing = new Ajv({ ...COMMON, coerceTypes: true });
  return ({ schema, httpPart }) => (httpPart === 'body' ? strict : scalarCoercing).compile(schema as object);
}
