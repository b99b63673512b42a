// The one function that turns a JSON request body into a value, on the main thread for small bodies and in a worker for
// large ones (json-body-task.ts), so both paths accept exactly the same bodies. Refuses what fastify's default parser
// refused: an empty body, invalid JSON, and prototype-poisoning keys ("__proto__", "constructor" holding "prototype").
//
// Integration note: the strict-schemas work adds parseJsonBody(buf) (UTF-8 checks) in transports/http/json-body.ts;
// this function is the single place to point at it.
import { invalid } from '../errors.js';

/** Keys JSON.parse creates as own properties but which poison prototypes once merged into other objects. */
function refusePoisonKeys(key: string, value: unknown): unknown {
  if (key === '__proto__' || (key === 'constructor' && value !== null && typeof value === 'object' && Object.hasOwn(value, 'prototype'))) {
    throw new SyntaxError('body contains a forbidden prototype property');
  }
  return value;
}

export function parseJsonBuffer(buf: Uint8Array): unknown {
  if (buf.length === 0) throw invalid('invalid_json', 'body is empty but content-type is application/json');
  let text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // Escapes could spell the keys too; only bodies that might hold them pay for the reviver.
  const suspect = text.includes('__proto__') || text.includes('constructor') || text.includes('\\u');
  try {
    return suspect ? JSON.parse(text, refusePoisonKeys) : JSON.parse(text);
  } catch (e) {
    throw invalid('invalid_json', `body is not valid JSON: ${(e as Error).message}`);
  }
}
