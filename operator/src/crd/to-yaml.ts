// A YAML writer for plain JSON data (maps, lists, strings, numbers, booleans, null): block style, keys in insertion
// order, strings quoted only when YAML would read them as something else. Enough for generated manifests.

export function toYaml(value: unknown, header = ''): string {
  return header + lines(value, 0).join('\n') + '\n';
}

function lines(value: unknown, indent: number): string[] {
  const pad = ' '.repeat(indent);
  if (Array.isArray(value)) {
    if (value.length === 0) return [`${pad}[]`];
    return value.flatMap((item) => {
      const inner = isBlock(item) ? lines(item, indent + 2) : [`${pad}  ${scalar(item)}`];
      return [`${pad}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1)];
    });
  }
  if (isMap(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return [`${pad}{}`];
    return entries.flatMap(([k, v]) => {
      const key = `${pad}${scalar(k)}:`;
      if (isBlock(v)) return [key, ...lines(v, Array.isArray(v) ? indent : indent + 2)];
      return [`${key} ${scalar(v)}`];
    });
  }
  return [`${pad}${scalar(value)}`];
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Non-empty maps and lists are written as blocks; empty ones inline ({} and []). */
function isBlock(v: unknown): boolean {
  return (Array.isArray(v) && v.length > 0) || (isMap(v) && Object.keys(v).length > 0);
}

const PLAIN = /^[A-Za-z_/.][A-Za-z0-9_ ./()-]*$/;
const RESERVED = /^(true|false|yes|no|on|off|y|n|null|~)$/i;

function scalar(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[]';
  if (isMap(v)) return '{}';
  const s = String(v);
  if (PLAIN.test(s) && !RESERVED.test(s) && !s.endsWith(' ') && !s.includes(': ') && !s.includes(' #')) return s;
  return JSON.stringify(s);
}
