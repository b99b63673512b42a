// How an fsck rule says no: FsckError names git's own message id (git-fsck(1), `fsck.<msg-id>`), and the tables below
// say which ids git 2.39's `git fsck --strict` treats as errors and which ones we refuse beyond it, each with why.
import { GitFormatError, type ObjectId } from '../objects.js';

export class FsckError extends GitFormatError {
  override name = 'FsckError';
  constructor(
    /** git's fsck message id, e.g. "hasDotgit", "treeNotSorted", "badTimezone". */
    readonly check: string,
    message: string,
    /** The offending object, when the problem is one object's. */
    readonly objectId?: ObjectId,
  ) {
    super(message);
  }
}

/** Throws the FsckError for `check` on object `id`. */
export function refuse(check: string, message: string, id?: ObjectId): never {
  throw new FsckError(check, id ? `${id}: ${check}: ${message}` : `${check}: ${message}`, id);
}

/**
 * Message ids git 2.39 reports as errors under --strict (its fatal and error ids, and its warnings, which --strict
 * promotes). Its "info" ids (badFilemode, gitmodulesParse, gitignoreSymlink, gitattributesSymlink, mailmapSymlink,
 * badTagName, missingTaggerEntry) stay warnings there and extraHeaderEntry is ignored: see BEYOND_GIT for the ones we
 * refuse all the same.
 */
export const GIT_STRICT_ERRORS: ReadonlySet<string> = new Set([
  // fatal
  'nulInHeader', 'unterminatedHeader',
  // error
  'badDate', 'badDateOverflow', 'badEmail', 'badName', 'badObjectSha1', 'badParentSha1', 'badTimezone', 'badTree',
  'badTreeSha1', 'badType', 'duplicateEntries', 'missingAuthor', 'missingCommitter', 'missingEmail',
  'missingNameBeforeEmail', 'missingObject', 'missingSpaceBeforeDate', 'missingSpaceBeforeEmail', 'missingTag',
  'missingTagEntry', 'missingTree', 'missingType', 'missingTypeEntry', 'multipleAuthors', 'treeNotSorted', 'unknownType',
  'zeroPaddedDate', 'gitmodulesMissing', 'gitmodulesBlob', 'gitmodulesLarge', 'gitmodulesName', 'gitmodulesSymlink',
  'gitmodulesUrl', 'gitmodulesPath', 'gitmodulesUpdate', 'gitattributesMissing', 'gitattributesLarge',
  'gitattributesLineLength', 'gitattributesBlob',
  // warnings, errors under --strict
  'emptyName', 'fullPathname', 'hasDot', 'hasDotdot', 'hasDotgit', 'nullSha1', 'zeroPaddedFilemode', 'nulInCommit',
]);

/**
 * Rules git enforces without a message id (its object parser says "object X is a tree, not a blob", "bad tree
 * pointer", "could not be parsed", "refs/heads/x: not a commit", "hash mismatch", and `git fsck` fails): they carry
 * ids of our own.
 */
export const GIT_UNNAMED_CHECKS: ReadonlySet<string> = new Set([
  'badTreeEntryType', 'badCommitTree', 'badCommitParent', 'badTagTarget', 'refNotCommit', 'missingRefTarget', 'hashMismatch',
  'tagTooShort',
]);

/**
 * What we refuse although `git fsck --strict` lets it pass (as a warning, or silently), and why. `gitWarns` lists the
 * warning git prints for the same object (none: git is silent); `gitMayBeSilent`, that it prints it only sometimes.
 */
export const BEYOND_GIT: Readonly<Record<string, { gitWarns: readonly string[]; gitMayBeSilent?: boolean; why: string }>> = {
  gitignoreSymlink: {
    gitWarns: ['gitignoreSymlink'],
    why: 'git (since 2.32) refuses to follow a symlinked .gitignore in the work tree, so the link is never useful, and '
      + 'on a server that hands trees to other tools it is a way to make them read a file outside the repository',
  },
  gitattributesSymlink: {
    gitWarns: ['gitattributesSymlink'],
    why: 'as gitignoreSymlink: git reads .gitattributes with O_NOFOLLOW since 2.32; a link only points readers elsewhere',
  },
  mailmapSymlink: {
    gitWarns: ['mailmapSymlink'],
    why: 'as gitignoreSymlink: git no longer follows a symlinked .mailmap in the work tree',
  },
  badFilemode: {
    gitWarns: ['badFilemode'],
    gitMayBeSilent: true,
    why: 'a mode other than 100644, 100755, 120000, 40000, 160000 and the legacy 100xxx regular-file modes (which git '
      + 'itself once wrote and we accept, as git does) was never written by any git; git reads such a mode as another '
      + 'kind (140000 as a submodule, 123456 as a symlink, 1100644 truncated to 16 bits as a file), so two tools would '
      + 'see different trees, and our own readers cannot decode it',
  },
  gitmodulesGitlink: {
    gitWarns: [],
    why: 'a submodule at the path .gitmodules: git then reads the blob of the submodule commit\'s id as the '
      + '.gitmodules file when the repository happens to hold one (fine to `git fsck` there), but no clone ever fetches '
      + 'a submodule\'s commit, so every clone fails `git fsck --strict` (gitmodulesMissing)',
  },
  gitattributesGitlink: {
    gitWarns: [],
    why: 'as gitmodulesGitlink, for .gitattributes (every clone fails with gitattributesMissing)',
  },
  gitmodulesPlatform: {
    gitWarns: [],
    why: 'a .gitmodules that git reads differently where C char is unsigned (arm64 Linux skips a leading byte order '
      + 'mark and reads 0xFF as a byte, where x86-64 stops parsing): refused when that reading holds an entry git '
      + 'refuses, since a client on such a machine would act on it',
  },
  unreadableHeader: {
    gitWarns: [],
    why: 'a commit or tag header git accepts but that no git writes and our readers cannot decode (object ids in upper '
      + 'case hex): refusing it keeps every stored object readable (no 500 on a later read)',
  },
};

/** Whether `check` names a rule we enforce: one of git's strict errors, one git states without an id, or one beyond git. */
export function isKnownCheck(check: string): boolean {
  return GIT_STRICT_ERRORS.has(check) || GIT_UNNAMED_CHECKS.has(check) || check in BEYOND_GIT;
}
