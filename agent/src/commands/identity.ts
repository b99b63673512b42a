// Author/committer validation: what git itself would refuse to write into a commit header.
import { invalid } from '../errors.js';
import { GitFormatError, Identity, identityTime } from '../git/objects.js';

export interface IdentityInput {
  name: string;
  email: string;
  /** ISO-8601 with an offset; defaults to now in UTC. */
  date?: string;
}

// eslint-disable-next-line no-control-regex
const BAD_IDENTITY_CHARS = /[<>\n\x00]/;

export function toIdentity(input: IdentityInput, field: string, now?: Date): Identity {
  if (input.name.trim() === '' || BAD_IDENTITY_CHARS.test(input.name)) throw invalid('invalid_identity', `${field}.name must be non-empty without <, > or newlines`);
  if (BAD_IDENTITY_CHARS.test(input.email)) throw invalid('invalid_identity', `${field}.email must not contain <, > or newlines`);
  try {
    const { timestamp, timezone } = identityTime(input.date, now);
    return { name: input.name.trim(), email: input.email.trim(), timestamp, timezone };
  } catch (e) {
    if (e instanceof GitFormatError) throw invalid('invalid_date', `${field}.date: ${e.message}`);
    throw e;
  }
}

/** Git keeps messages newline-terminated; a NUL would truncate the message in git's tools. */
export function normaliseMessage(message: string): string {
  if (message.trim() === '') throw invalid('invalid_message', 'message must not be empty');
  if (message.includes('\0')) throw invalid('invalid_message', 'message must not contain NUL');
  return message.endsWith('\n') ? message : message + '\n';
}
