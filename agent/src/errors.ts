// The one error type every layer raises for a request that cannot be honoured; transports map it to their wire shape
// (REST: HTTP status + {error:{code,message}}). Anything else reaching a transport is a bug and becomes a 500.

// invalid (400): the request itself is malformed. unprocessable (422): well-formed, but its content breaks a rule of git
// (fsck) or a structural limit (tree depth, path length). too_large (413): over a size limit.
export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'unavailable' | 'too_large' | 'unsupported_media' | 'unprocessable';

const STATUS: Record<ErrorKind, number> = {
  invalid: 400,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
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
export const unprocessable = (code: string, message: string, details?: Record<string, unknown>) =>
  new GovcError('unprocessable', code, message, details);
export const tooLarge = (code: string, message: string, details?: Record<string, unknown>) =>
  new GovcError('too_large', code, message, details);
