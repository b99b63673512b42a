// GovcError → gRPC status, and the shared-token check every Admin and Replication call goes through.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Metadata, ServiceError, status } from '@grpc/grpc-js';
import { GovcError } from '../../errors.js';

const CODES: Record<GovcError['kind'], status> = {
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  too_large: status.RESOURCE_EXHAUSTED,
  unsupported_media: status.INVALID_ARGUMENT,
  unprocessable: status.INVALID_ARGUMENT,
};

export function grpcError(e: unknown): Partial<ServiceError> {
  if (e instanceof GovcError) {
    const md = new Metadata();
    md.set('govc-error-code', e.code);
    return { code: CODES[e.kind], details: `${e.code}: ${e.message}`, metadata: md };
  }
  return { code: status.INTERNAL, details: e instanceof Error ? e.message : String(e) };
}

export const unauthenticated = (): Partial<ServiceError> => ({ code: status.UNAUTHENTICATED, details: 'missing or wrong token' });

/** Compares the bearer token in `md` with the configured one in constant time (hashes first: equal lengths). */
export function makeTokenCheck(token: string): (md: Metadata) => boolean {
  const want = createHash('sha256').update(token).digest();
  return (md) => {
    const v = md.get('authorization')[0];
    if (typeof v !== 'string' || !v.startsWith('Bearer ')) return false;
    return timingSafeEqual(createHash('sha256').update(v.slice(7)).digest(), want);
  };
}
