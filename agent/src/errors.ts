// The one error type every layer raises for a request that cannot be honoured; transports map it to their wire shape
// (REST: HTTP status + {error:{code,message}}). Anything else reaching a transport is a bug and becomes a 500.

export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unavailable' | 'too_large' | 'unsupported_media';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unavailable: 503,
};

export class GovcError extends Error {
  override name = 'GovcError';
  constructor(
    readonly kind: ErrorKind,
    /** Machine-readable, stable: e.g. "ref_conflict", "invalid_path". */
    readonly code: string,
    message: string,
    /** Extra fields clients can act on (current head, conflicting paths). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  get status(): number {
    return STATUS[this.kind];
  }
}

export const invalid = (code: string, message: string, details?: Record<string, unknown>) =>
  new GovcError('invalid', code, message, details);
export const notFound = (code: string, message: string) => new GovcError('not_found', code, message);
export const conflict = (code: string, message: string, details?: Record<string, unknown>) =>
  new GovcError('conflict', code, message, details);
