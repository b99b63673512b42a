// TypeScript declarations from a CRD schema: objects become interfaces (optional unless required), enums unions of
// literals. Run by write-crds.ts; the output is committed as operator/src/crd/generated-types.ts.
import type { Schema } from './schema-builders.js';

export function typeOf(s: Schema, indent: string): string {
  if (s.enum) return s.enum.map((e) => JSON.stringify(e)).join(' | ');
  if (s['x-kubernetes-int-or-string']) return 'number | string';
  if (s['x-kubernetes-preserve-unknown-fields']) return 'Record<string, unknown>';
  switch (s.type) {
    case 'string':
      return 'string';
    case 'integer':
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return `Array<${typeOf(s.items!, indent)}>`;
    case 'object':
      if (s.additionalProperties) return `Record<string, ${typeOf(s.additionalProperties, indent)}>`;
      if (!s.properties) return 'Record<string, unknown>';
      return objectBody(s, indent);
    default:
      return 'unknown';
  }
}

function objectBody(s: Schema, indent: string): string {
  const inner = indent + '  ';
  const required = new Set(s.required ?? []);
  const fields = Object.entries(s.properties ?? {}).map(([name, p]) => {
    const doc = `${inner}/** ${(p.description ?? '').replace(/\*\//g, '* /')} */`;
    return `${doc}\n${inner}${name}${required.has(name) ? '' : '?'}: ${typeOf(p, inner)};`;
  });
  return `{\n${fields.join('\n')}\n${indent}}`;
}

/** `export interface <name> {...}` for an object schema. */
export function interfaceOf(name: string, s: Schema): string {
  return `/** ${s.description} */\nexport interface ${name} ${objectBody(s, '')}\n`;
}
