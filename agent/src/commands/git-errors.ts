// The one translation of git-layer failures on stored data into request errors: an object of the wrong type is
// 422 not_a_<type>, a missing one 422 missing_object, an unparsable one 422 malformed_object.
import { GovcError, unprocessable } from '../errors.js';
import { MissingObjectError, WrongTypeError } from '../git/object-errors.js';
import { GitFormatError } from '../git/objects.js';

export function requestErrorFor(e: GitFormatError): GovcError {
  if (e instanceof WrongTypeError) {
    return unprocessable(`not_a_${e.expected}`, e.message, { object: e.object, type: e.actual, expected: e.expected });
  }
  if (e instanceof MissingObjectError) return unprocessable('missing_object', e.message, { object: e.object });
  return unprocessable('malformed_object', e.message);
}

/** Runs `fn`, turning GitFormatErrors into request errors. */
export function gitCall<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GitFormatError) throw requestErrorFor(e);
    throw e;
  }
}
