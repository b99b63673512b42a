// The one function that turns a JSON request body into a value, on the main thread for small bodies and in a worker for
// large ones (json-body-task.ts), so both paths accept exactly the same bodies: the strict parser of
// transports/http/json-body.ts (invalid UTF-8, lone surrogates and prototype-poisoning keys refused).
import { parseJsonBody } from '../transports/http/json-body.js';

export function parseJsonBuffer(buf: Uint8Array): unknown {
  return parseJsonBody(Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
}
