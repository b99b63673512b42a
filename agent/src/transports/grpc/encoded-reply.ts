// gRPC replies encoded ahead of time (e.g. in a worker thread): a handler answers with an EncodedReply instead of the
// message, and the service definition (acceptingEncoded) sends its bytes as they are rather than encoding on the event
// loop. Every other reply is encoded as before.
import type { ServiceDefinition } from '@grpc/grpc-js';

const ENCODED = Symbol('govc.encodedReply');

export interface EncodedReply {
  readonly [ENCODED]: Uint8Array;
}

export function encodedReply(bytes: Uint8Array): EncodedReply {
  return { [ENCODED]: bytes };
}

export function isEncoded(v: unknown): v is EncodedReply {
  return typeof v === 'object' && v !== null && ENCODED in v;
}

export function encodedBytes(v: EncodedReply): Uint8Array {
  return v[ENCODED];
}

/**
 * A handler's answer typed as the message the generated server interface expects: the definition from
 * acceptingEncoded sends it as it is.
 */
export function asMessage<T>(v: T | EncodedReply): T {
  return v as T;
}

/** `def` with every reply serializer also taking an EncodedReply (sent as its bytes, no copy). */
export function acceptingEncoded<D extends ServiceDefinition>(def: D): D {
  const out: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(def)) {
    const serialize = method.responseSerialize as (v: unknown) => Buffer;
    out[name] = {
      ...method,
      responseSerialize: (v: unknown): Buffer => {
        if (!isEncoded(v)) return serialize(v);
        const bytes = encodedBytes(v);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
    };
  }
  return out as D;
}
