// How a refusal by git's fsck rules reaches a client: 422 `fsck_failed` with `details: {check, object}` (git's message
// id and the offending object), the one shape every write path answers with.
import { GovcError, unprocessable } from '../errors.js';
import { FsckError } from '../git/fsck/index.js';

export function fsckFailed(e: FsckError): GovcError {
  return unprocessable('fsck_failed', `refused by git's fsck rules: ${e.message}`, { check: e.check, object: e.objectId ?? null });
}

/** Runs `checks`, turning an FsckError into the 422 the API answers. */
export function withFsck<T>(checks: () => T): T {
  try {
    return checks();
  } catch (e) {
    if (e instanceof FsckError) throw fsckFailed(e);
    throw e;
  }
}
