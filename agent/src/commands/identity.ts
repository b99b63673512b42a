// Authors, committers, taggers and messages as the API takes them: checked against what git's fsck accepts (fsck_ident
// in fsck.c) and what git's own tools write (ident.c, commit.c), so every object the API creates passes
// `git fsck --strict` and reads back as the client sent it. A commit's author and committer, a merge's author and a
// tag's tagger all go through toIdentity; every message through normaliseMessage.
import { invalid } from '../errors.js';
import { GitFormatError, Identity, identityTime } from '../git/objects.js';

export interface IdentityInput {
  name: string;
  email: string;
  /** ISO-8601 with an offset; defaults to now in UTC. */
  date?: string;
}

// Rules for names and emails, and why:
// - "<", ">" and newline delimit the identity line: fsck refuses them (badName, badEmail), and git's own ident.c drops
//   them silently. We refuse them, as we refuse NUL (fsck's nulInHeader): storing something other than what the client
//   sent, without saying so, would be worse than a 400.
// - Every other control character (Unicode category Cc: C0 such as tab and ESC, DEL, C1) is refused too. fsck lets them
//   through inside a name, but no real name or address holds one, and ESC or CR in an author line rewrites the terminal of
//   whoever runs `git log` on the repository.
// - Leading and trailing spaces are removed, as git removes them (with the rest of its "crud", see ident.c) from every
//   identity it writes: " Ada " and "Ada" are one author to git. Git also strips , : ; " ' \ at the ends, which makes
//   sense for names taken from "Name <mail>," lists, not for the separate fields of a JSON body: they are kept.
// - A name must keep at least one visible character (git: "empty ident name not allowed"); an email may be empty, as
//   git allows ("<>").
// eslint-disable-next-line no-control-regex
const CONTROL = /\p{Cc}/u;
const DELIMITER = /[<>]/;
const EDGE_SPACES = /^ +| +$/g;

function identityPart(value: string, what: string, mayBeEmpty: boolean): string {
  if (!value.isWellFormed()) throw invalid('invalid_identity', `${what} holds a lone UTF-16 surrogate, which UTF-8 cannot encode`);
  if (CONTROL.test(value)) throw invalid('invalid_identity', `${what} must not contain control characters (newline, NUL, tab, escape, ...)`);
  if (DELIMITER.test(value)) throw invalid('invalid_identity', `${what} must not contain < or >`);
  const trimmed = value.replace(EDGE_SPACES, '');
  if (!mayBeEmpty && trimmed.trim() === '') throw invalid('invalid_identity', `${what} must not be empty or blank`);
  return trimmed;
}

export function toIdentity(input: IdentityInput, field: string, now?: Date): Identity {
  const name = identityPart(input.name, `${field}.name`, false);
  const email = identityPart(input.email, `${field}.email`, true);
  try {
    const { timestamp, timezone } = identityTime(input.date, now);
    return { name, email, timestamp, timezone };
  } catch (e) {
    if (e instanceof GitFormatError) throw invalid('invalid_date', `${field}.date: ${e.message}`);
    throw e;
  }
}

/**
 * Messages are stored as sent, as `git commit-tree` and `git mktag` store them (no comment stripping or whitespace
 * cleanup, which `git commit` does only for messages typed in an editor), newline-terminated. Refused: blank messages
 * (the API needs one), NUL (`git commit-tree`: "a NUL byte in commit log message not allowed"; tags follow the same rule,
 * since git's tools read messages as C strings and would cut one short) and lone surrogates.
 */
export function normaliseMessage(message: string): string {
  if (message.trim() === '') throw invalid('invalid_message', 'message must not be empty');
  if (message.includes('\0')) throw invalid('invalid_message', 'message must not contain NUL');
  if (!message.isWellFormed()) throw invalid('invalid_message', 'message holds a lone UTF-16 surrogate, which UTF-8 cannot encode');
  return message.endsWith('\n') ? message : message + '\n';
}
