// The hostile corpus: hand-made objects for every class of git's fsck rules (tree names and their .git aliases,
// modes, order, special files, .gitmodules contents, commit and tag headers, identities, links between objects, refs),
// and well-formed neighbours that must stay accepted. Each case builds its own objects (salted, so no two cases share
// one) with a commit as tip where it can, so the same case serves the oracle test (one `git fsck --strict` over all of
// them) and the bundle tests (a bundle of the case's objects with refs/heads/main at its tip).
import { hashObject, type GitObject, type ObjectId, type ObjectType } from '../../src/git/objects.js';

export interface CorpusRef {
  name: string;
  id: ObjectId;
}

export interface CorpusCase {
  name: string;
  /** What `git fsck --strict` (and we) do with it; `ours` marks a refusal beyond git (see fsck/report.ts BEYOND_GIT). */
  expect: 'accept' | 'refuse' | 'ours';
  objects: (GitObject & { id: ObjectId })[];
  refs: CorpusRef[];
}

const ZERO20 = Buffer.alloc(20);
const GOOD_IDENT = 'A U Thor <author@example.com> 1700000000 +0000';

export class CaseBuilder {
  readonly objects: (GitObject & { id: ObjectId })[] = [];
  constructor(readonly salt: string) {}

  add(type: ObjectType, data: Buffer | string): ObjectId {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const id = hashObject(type, buf);
    if (!this.objects.some((o) => o.id === id)) this.objects.push({ id, type, data: buf });
    return id;
  }

  /** A blob unique to this case. */
  blob(text = 'content'): ObjectId {
    return this.add('blob', `${text}\n${this.salt}\n`);
  }

  /** A blob with exactly these bytes (a .gitmodules or .gitattributes: salt it yourself when it must be unique). */
  rawBlob(data: Buffer | string): ObjectId {
    return this.add('blob', data);
  }

  /** A tree with these entries, in this order, each "mode name id" as given (names as UTF-8 or raw bytes). */
  tree(entries: [string, string | Buffer, ObjectId | Buffer][]): ObjectId {
    return this.add('tree', rawTree(entries));
  }

  commit(tree: ObjectId, opts: { parents?: ObjectId[]; author?: string; committer?: string; extra?: string; message?: string } = {}): ObjectId {
    const parents = (opts.parents ?? []).map((p) => `parent ${p}\n`).join('');
    const body = `tree ${tree}\n${parents}author ${opts.author ?? GOOD_IDENT}\ncommitter ${opts.committer ?? GOOD_IDENT}\n${opts.extra ?? ''}`;
    return this.add('commit', `${body}\n${opts.message ?? `commit ${this.salt}`}\n`);
  }

  /** A commit over a one-file tree naming `file` (a blob of this case): the usual tip. */
  commitOf(entries: [string, string | Buffer, ObjectId | Buffer][]): ObjectId {
    return this.commit(this.tree(entries));
  }

  tag(object: ObjectId, type: string, opts: { name?: string; tagger?: string | null; extra?: string } = {}): ObjectId {
    const tagger = opts.tagger === null ? '' : `tagger ${opts.tagger ?? GOOD_IDENT}\n`;
    return this.add('tag', `object ${object}\ntype ${type}\ntag ${opts.name ?? 'v1'}\n${tagger}${opts.extra ?? ''}\ntag ${this.salt}\n`);
  }
}

export function rawTree(entries: [string, string | Buffer, ObjectId | Buffer][]): Buffer {
  return Buffer.concat(entries.flatMap(([mode, name, id]) => [
    Buffer.from(`${mode} `, 'latin1'),
    typeof name === 'string' ? Buffer.from(name, 'utf8') : name,
    Buffer.from([0]),
    typeof id === 'string' ? Buffer.from(id, 'hex') : id,
  ]));
}

type Build = (b: CaseBuilder) => { tip?: ObjectId; refs?: CorpusRef[] } | ObjectId | void;

const cases: { name: string; expect: CorpusCase['expect']; build: Build }[] = [];
function add(name: string, expect: CorpusCase['expect'], build: Build): void {
  cases.push({ name, expect, build });
}

// ---------------------------------------------------------------- tree entry names
/** A commit over a tree holding one file of this name (and a well-named neighbour). */
const named = (name: string | Buffer, mode = '100644'): Build => (b) => b.commitOf([[mode, name, b.blob()]]);

add('tree: ordinary names', 'accept', (b) => b.commitOf([
  ['100644', '.gitignore', b.blob('a')], ['100644', 'README', b.blob('b')], ['40000', 'src', b.tree([['100755', 'run.sh', b.blob('c')]])],
]));
for (const name of ['.git', '.GIT', '.Git', '.gIT']) add(`tree: ${JSON.stringify(name)}`, 'refuse', named(name));
add('tree: ".git" as a directory', 'refuse', (b) => b.commitOf([['40000', '.git', b.tree([['100644', 'config', b.blob()]])]]));
add('tree: "."', 'refuse', named('.'));
add('tree: ".."', 'refuse', named('..'));
add('tree: "a/b"', 'refuse', named('a/b'));
add('tree: "/abs"', 'refuse', named('/abs'));
add('tree: empty name', 'refuse', named(''));
add('tree: "..." (not "..")', 'accept', named('...'));
add('tree: ".gitx" (not .git)', 'accept', named('.gitx'));
add('tree: "git" (no dot)', 'accept', named('git'));
// NTFS
for (const name of ['git~1', 'GIT~1', 'Git~1', '.git ', '.git.', '.git. . ', '.git::$INDEX_ALLOCATION', '.git:stream', '.GIT::$DATA',
  'git~1.', 'git~1 ', 'git~1:x', '.git\\config', 'x\\.git', 'x\\git~1', 'x\\.GIT.\\y']) {
  add(`tree: NTFS alias ${JSON.stringify(name)}`, 'refuse', named(name));
}
for (const name of ['git~2', 'git~10', 'git~1x', '.git x', '.gitx:', 'x\\.gitx', '.git\u00a0']) add(`tree: not an alias ${JSON.stringify(name)}`, 'accept', named(name));
// HFS+: ignorable code points anywhere, any case
for (const cp of [0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff]) {
  const c = String.fromCodePoint(cp);
  add(`tree: HFS alias ".g${'\\u' + cp.toString(16)}it"`, 'refuse', named(`.g${c}it`));
}
add('tree: HFS alias "\\u200c.GIT\\u200d"', 'refuse', named('\u200c.GIT\u200d'));
add('tree: HFS alias ".git\\u200c/" is a full path too', 'refuse', named('.git\u200c/x'));
add('tree: HFS non-ignorable ".g\\u200bit" (zero width space)', 'accept', named('.g\u200bit'));
add('tree: HFS ".gİt" (no Unicode case folding)', 'accept', named('.g\u0130t'));
add('tree: ".git" + malformed UTF-8', 'refuse', named(Buffer.from([0x2e, 0x67, 0x69, 0x74, 0xff])));
add('tree: ".g" + overlong "i" (C1 A9)', 'accept', named(Buffer.from([0x2e, 0x67, 0xc1, 0xa9, 0x74])));
add('tree: non-UTF-8 name', 'accept', named(Buffer.from([0x66, 0xff, 0xfe])));

// ---------------------------------------------------------------- modes
for (const mode of ['100644', '100755', '120000']) add(`mode: ${mode}`, 'accept', named('f', mode));
add('mode: 40000 (tree)', 'accept', (b) => b.commitOf([['40000', 'd', b.tree([['100644', 'f', b.blob()]])]]));
add('mode: 160000 (submodule)', 'accept', (b) => b.commitOf([['160000', 'sub', b.blob('not here: a commit elsewhere')]]));
for (const mode of ['100664', '100600', '100000']) add(`mode: legacy ${mode}`, 'accept', named('f', mode));
add('mode: zero-padded 040000', 'refuse', (b) => b.commitOf([['040000', 'd', b.tree([['100644', 'f', b.blob()]])]]));
add('mode: zero-padded 0100644', 'refuse', named('f', '0100644'));
for (const mode of ['160755', '140000', '123456', '1', '1100644', '120644']) add(`mode: ${mode}`, 'ours', named('f', mode));
// Modes git reads as a directory: fine to git over a tree (a warning), an error over a blob (a type mismatch).
for (const mode of ['40755', '100644644']) {
  add(`mode: ${mode} over a tree`, 'ours', (b) => b.commitOf([[mode, 'd', b.tree([['100644', 'f', b.blob()]])]]));
  add(`mode: ${mode} over a blob`, 'refuse', named('f', mode));
}
add('mode: not octal', 'refuse', named('f', '100648'));
add('mode: empty', 'refuse', named('f', ''));

// ---------------------------------------------------------------- order and duplicates
add('order: unsorted', 'refuse', (b) => b.commitOf([['100644', 'b', b.blob('1')], ['100644', 'a', b.blob('2')]]));
add('order: file "a.b" before directory "a"', 'accept', (b) => b.commitOf([['100644', 'a.b', b.blob('1')], ['40000', 'a', b.tree([['100644', 'x', b.blob('2')]])]]));
add('order: directory "a" before file "a.b"', 'refuse', (b) => b.commitOf([['40000', 'a', b.tree([['100644', 'x', b.blob('2')]])], ['100644', 'a.b', b.blob('1')]]));
add('order: duplicate files', 'refuse', (b) => b.commitOf([['100644', 'a', b.blob('1')], ['100644', 'a', b.blob('2')]]));
add('order: file and directory of one name', 'refuse', (b) => b.commitOf([['100644', 'a', b.blob('1')], ['40000', 'a', b.tree([['100644', 'x', b.blob('2')]])]]));
add('order: file and directory of one name, apart', 'refuse', (b) => b.commitOf([
  ['100644', 'foo', b.blob('1')], ['100644', 'foo.bar', b.blob('2')], ['40000', 'foo', b.tree([['100644', 'x', b.blob('3')]])],
]));
add('tree: entry pointing at the null id', 'refuse', (b) => b.commitOf([['100644', 'f', ZERO20]]));
add('tree: truncated', 'refuse', (b) => b.commit(b.add('tree', Buffer.concat([rawTree([['100644', 'f', b.blob()]]).subarray(0, 20), Buffer.from(b.salt)]))));
add('tree: trailing garbage', 'refuse', (b) => b.commit(b.add('tree', Buffer.concat([rawTree([['100644', 'f', b.blob()]]), Buffer.from('x')]))));
add('tree: empty', 'accept', (b) => b.commit(b.add('tree', Buffer.alloc(0)), { message: `empty ${b.salt}` }));

// ---------------------------------------------------------------- special files as symbolic links
for (const name of ['.gitmodules', '.GITMODULES', 'GITMOD~1', 'gitmod~4', 'gi7eba~1', '.gitmodules ', '.gitmodules.', '.gitmodules:x',
  '.gitmodules\u200c', 'x\\.gitmodules']) {
  add(`symlink: ${JSON.stringify(name)}`, 'refuse', named(name, '120000'));
}
for (const name of ['.gitattributes', 'GITATT~1', '.gitignore', 'GITIGN~1', 'gi250a~1', '.mailmap', 'MAILMA~1', '.MailMap']) {
  add(`symlink: ${JSON.stringify(name)} (git: warning only)`, 'ours', named(name, '120000'));
}
for (const name of ['.gitignore', '.mailmap', '.gitattributes']) add(`special file ${JSON.stringify(name)} as a file`, 'accept', named(name));
for (const name of ['gitmodules', '.gitmodulesx', 'x.gitmodules', 'gitignore']) add(`symlink: not special ${JSON.stringify(name)}`, 'accept', named(name, '120000'));

// ---------------------------------------------------------------- .gitmodules contents
const gitmodules = (text: string, entryName = '.gitmodules', mode = '100644'): Build => (b) => b.commitOf([[mode, entryName, b.rawBlob(`${text}\n# ${b.salt}\n`)]]);
add('gitmodules: ordinary', 'accept', gitmodules('[submodule "lib"]\n\tpath = lib\n\turl = https://example.com/lib.git\n\tupdate = rebase'));
add('gitmodules: name with ".." component', 'refuse', gitmodules('[submodule "../../modules/evil"]\n\tpath = x\n\turl = ./x'));
add('gitmodules: name "a/../b"', 'refuse', gitmodules('[submodule "a/../b"]\n\tpath = x'));
add('gitmodules: name ".."', 'refuse', gitmodules('[submodule ".."]\n\tpath = x'));
add('gitmodules: name "..\\\\x"', 'refuse', gitmodules('[submodule "..\\\\x"]\n\tpath = x'));
add('gitmodules: name "x/.."', 'refuse', gitmodules('[submodule "x/.."]\n\tpath = x'));
add('gitmodules: name "a..b" (not a component)', 'accept', gitmodules('[submodule "a..b"]\n\tpath = x'));
add('gitmodules: url --upload-pack=', 'refuse', gitmodules('[submodule "x"]\n\tpath = x\n\turl = --upload-pack=touch$IFS/tmp/pwned'));
add('gitmodules: url "-x", quoted', 'refuse', gitmodules('[submodule "x"]\n\turl = "-x"'));
add('gitmodules: path "-x"', 'refuse', gitmodules('[submodule "x"]\n\tpath = -x\n\turl = ./x'));
add('gitmodules: path " -x" (quoted, a space first)', 'accept', gitmodules('[submodule "x"]\n\tpath = " -x"'));
add('gitmodules: update = !command', 'refuse', gitmodules('[submodule "x"]\n\tpath = x\n\tupdate = !rm -rf ~'));
add('gitmodules: update = none', 'accept', gitmodules('[submodule "x"]\n\tpath = x\n\tupdate = none'));
add('gitmodules: upper-case key URL', 'refuse', gitmodules('[submodule "x"]\n\tURL = -x'));
add('gitmodules: old-style section [submodule.x]', 'refuse', gitmodules('[submodule.x]\n\tpath = -x'));
add('gitmodules: bare key url (no value)', 'accept', gitmodules('[submodule "x"]\n\turl'));
add('gitmodules: key without subsection', 'accept', gitmodules('[submodule]\n\turl = -x'));
add('gitmodules: another section', 'accept', gitmodules('[core]\n\turl = -x\n[sub "../x"]\n\tpath = -y'));
add('gitmodules: url with encoded newline (relative)', 'refuse', gitmodules('[submodule "x"]\n\turl = ./x%0a'));
add('gitmodules: url with encoded newline (git://)', 'refuse', gitmodules('[submodule "x"]\n\turl = git://example.com:1234/repo%0a.git'));
add('gitmodules: url with encoded newline (https path)', 'refuse', gitmodules('[submodule "x"]\n\turl = https://example.com/re%0apo'));
add('gitmodules: url with encoded newline (https user)', 'refuse', gitmodules('[submodule "x"]\n\turl = https://us%0aer@example.com/repo'));
add('gitmodules: url with encoded newline (unknown scheme)', 'accept', gitmodules('[submodule "x"]\n\turl = foo://example.com/re%0apo'));
add('gitmodules: url with empty host', 'refuse', gitmodules('[submodule "x"]\n\turl = https:///example.com/repo'));
add('gitmodules: url http:: without scheme', 'refuse', gitmodules('[submodule "x"]\n\turl = http::example.com/repo'));
add('gitmodules: url ../ escaping to a scheme', 'refuse', gitmodules('[submodule "x"]\n\turl = ../:example.com/repo'));
add('gitmodules: url ../../ escaping to a host', 'refuse', gitmodules('[submodule "x"]\n\turl = ./../..//example.com/repo'));
add('gitmodules: url ../sibling', 'accept', gitmodules('[submodule "x"]\n\turl = ../sibling.git'));
add('gitmodules: url ssh', 'accept', gitmodules('[submodule "x"]\n\turl = ssh://git@example.com/x.git'));
add('gitmodules: url https with port and query', 'accept', gitmodules('[submodule "x"]\n\turl = https://example.com:8443/x?y#z'));
add('gitmodules: escaped quote in value', 'refuse', gitmodules('[submodule "x"]\n\tpath = "\\"" \n\turl = "-\\"x"'));
add('gitmodules: comment after value', 'accept', gitmodules('[submodule "x"]\n\tpath = x ; -y\n\turl = x # -y'));
add('gitmodules: CRLF line ends', 'refuse', gitmodules('[submodule "x"]\r\n\tpath = x\r\n\turl = -x\r'));
add('gitmodules: continuation line', 'refuse', gitmodules('[submodule "x"]\n\turl = \\\n-x'));
add('gitmodules: parse error before a bad entry', 'accept', gitmodules('[submodule "x"]\n\tpath = x\n\t= oops\n\turl = -x'));
add('gitmodules: bad entry before a parse error', 'refuse', gitmodules('[submodule "x"]\n\turl = -x\n\t= oops'));
add('gitmodules: unknown escape ends parsing', 'accept', gitmodules('[submodule "x"]\n\tpath = \\q\n\turl = -x'));
add('gitmodules: byte order mark (read where char is unsigned)', 'ours', gitmodules('\ufeff[submodule "x"]\n\turl = -x'));
add('gitmodules: 0xFF byte (EOF where char is signed, a byte elsewhere)', 'ours', (b) => b.commitOf([['100644', '.gitmodules',
  b.rawBlob(Buffer.concat([Buffer.from('[submodule "x"]\n\tpath = x'), Buffer.from([0xff]), Buffer.from(`\n\turl = -x\n# ${b.salt}\n`)]))]]));
add('gitmodules: byte order mark, harmless content', 'accept', gitmodules('\ufeff[submodule "x"]\n\tpath = x'));
add('gitmodules: NUL ends the value', 'accept', (b) => b.commitOf([['100644', '.gitmodules',
  b.rawBlob(Buffer.concat([Buffer.from('[submodule "x"]\n\tpath = x'), Buffer.from([0]), Buffer.from(`-y\n# ${b.salt}\n`)]))]]));
add('gitmodules: alias name GITMOD~1', 'refuse', gitmodules('[submodule "x"]\n\tpath = -x', 'GITMOD~1'));
add('gitmodules: alias name ".gitmodules."', 'refuse', gitmodules('[submodule "x"]\n\tpath = -x', '.gitmodules.'));
add('gitmodules: in a subdirectory (git checks every tree)', 'refuse', (b) => b.commitOf([['40000', 'sub', b.tree([['100644', '.gitmodules', b.rawBlob(`[submodule "x"]\n\tpath = -x\n# ${b.salt}\n`)]])]]));
add('gitmodules: a directory', 'refuse', (b) => b.commitOf([['40000', '.gitmodules', b.tree([['100644', 'f', b.blob()]])]]));
add('gitmodules: a submodule (its commit is missing here)', 'refuse', (b) => b.commitOf([['160000', '.gitmodules', hashObject('commit', Buffer.from(b.salt))]]));
add('gitmodules: a submodule naming a blob that is here (clones would fail)', 'ours', (b) => b.commitOf([['160000', '.gitmodules', b.rawBlob(`[submodule "x"]\n\tpath = x\n# ${b.salt}\n`)]]));

// ---------------------------------------------------------------- .gitattributes contents
add('gitattributes: ordinary', 'accept', (b) => b.commitOf([['100644', '.gitattributes', b.rawBlob(`*.txt text\n# ${b.salt}\n`)]]));
add('gitattributes: line of 2047 bytes', 'accept', (b) => b.commitOf([['100644', '.gitattributes', b.rawBlob(`${'a'.repeat(2047)}\n# ${b.salt}\n`)]]));
add('gitattributes: line of 2048 bytes', 'refuse', (b) => b.commitOf([['100644', '.gitattributes', b.rawBlob(`${'a'.repeat(2048)}\n# ${b.salt}\n`)]]));
add('gitattributes: long line after a NUL', 'accept', (b) => b.commitOf([['100644', '.gitattributes',
  b.rawBlob(Buffer.concat([Buffer.from(`x\n# ${b.salt}\n`), Buffer.from([0]), Buffer.from('b'.repeat(3000))]))]]));
add('gitattributes: alias GITATT~1 long line', 'refuse', (b) => b.commitOf([['100644', 'GITATT~1', b.rawBlob(`${'a'.repeat(3000)}\n# ${b.salt}\n`)]]));
add('gitattributes: a submodule (its commit is missing here)', 'refuse', (b) => b.commitOf([['160000', '.gitattributes', hashObject('commit', Buffer.from(b.salt))]]));
add('gitattributes: a directory', 'refuse', (b) => b.commitOf([['40000', '.gitattributes', b.tree([['100644', 'f', b.blob()]])]]));

// ---------------------------------------------------------------- commits
const commitRaw = (text: (b: CaseBuilder, tree: ObjectId) => string | Buffer): Build => (b) => {
  const tree = b.tree([['100644', 'f', b.blob()]]);
  return b.add('commit', text(b, tree));
};
const withIdent = (author: string): Build => commitRaw((b, t) => `tree ${t}\nauthor ${author}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`);
add('commit: ordinary', 'accept', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: with encoding, gpgsig and unknown headers', 'accept', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\nencoding ISO-8859-1\ngpgsig -----BEGIN-----\n line\n -----END-----\nx-custom some value\n\n${b.salt}\n`));
add('commit: no message, header ends in a newline', 'accept', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\nx-salt ${b.salt}\n`));
add('commit: unterminated header', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter A <a> 1 +0000 ${b.salt}`));
add('commit: NUL in header', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\0\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: NUL in message', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\0\n`));
add('commit: no tree', 'refuse', commitRaw((b) => `author ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: author before tree', 'refuse', commitRaw((b, t) => `author ${GOOD_IDENT}\ntree ${t}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: short tree id', 'refuse', commitRaw((b, t) => `tree ${t.slice(0, 39)}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: upper-case tree id', 'ours', commitRaw((b, t) => `tree ${t.toUpperCase()}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: bad parent id', 'refuse', commitRaw((b, t) => `tree ${t}\nparent ${'g'.repeat(40)}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: no author', 'refuse', commitRaw((b, t) => `tree ${t}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: two authors', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: no committer', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: committer before author', 'refuse', commitRaw((b, t) => `tree ${t}\ncommitter ${GOOD_IDENT}\nauthor ${GOOD_IDENT}\n\n${b.salt}\n`));
add('commit: header line without a space (git accepts, our reader cannot)', 'ours', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter ${GOOD_IDENT}\nnospace\n\n${b.salt}\n`));

// ---------------------------------------------------------------- identities
const idents: [string, string, CorpusCase['expect']][] = [
  ['zero date', 'A <a@x> 0 +0000', 'accept'],
  ['empty name', ' <a@x> 1 +0000', 'accept'],
  ['empty email', 'A <> 1 +0000', 'accept'],
  ['extra spaces before the date', 'A <a@x>   1 +0000', 'accept'],
  ['a tab after the space before the date', 'A <a@x> \t1 +0000', 'accept'],
  ['odd timezone +9999', 'A <a@x> 1 +9999', 'accept'],
  ['largest date', 'A <a@x> 9223372036854775807 +0000', 'accept'],
  ['negative date', 'A <a@x> -1 +0000', 'refuse'],
  ['zero-padded date', 'A <a@x> 01 +0000', 'refuse'],
  ['zero-padded date 00', 'A <a@x> 00 +0000', 'refuse'],
  ['overflowing date 2^63', 'A <a@x> 9223372036854775808 +0000', 'refuse'],
  ['overflowing date 2^64', 'A <a@x> 18446744073709551616 +0000', 'refuse'],
  ['date with letters', 'A <a@x> 12a +0000', 'refuse'],
  ['no date', 'A <a@x>', 'refuse'],
  ['tab instead of the space before the date', 'A <a@x>\t1 +0000', 'refuse'],
  ['timezone without sign', 'A <a@x> 1 0000', 'refuse'],
  ['short timezone', 'A <a@x> 1 +000', 'refuse'],
  ['long timezone', 'A <a@x> 1 +00000', 'refuse'],
  ['timezone with a letter', 'A <a@x> 1 +00a0', 'refuse'],
  ['two spaces before the timezone', 'A <a@x> 1  +0000', 'refuse'],
  ['no space before the email', 'A<a@x> 1 +0000', 'refuse'],
  ['no name before the email', '<a@x> 1 +0000', 'refuse'],
  ['no email', 'A 1 +0000', 'refuse'],
  ['unclosed email', 'A <a@x 1 +0000', 'refuse'],
  ['"<" in the email', 'A <a<b@x> 1 +0000', 'refuse'],
  ['">" in the name', 'A > B <a@x> 1 +0000', 'refuse'],
];
for (const [what, ident, expect] of idents) add(`identity: ${what}`, expect, withIdent(ident));
add('identity: bad committer', 'refuse', commitRaw((b, t) => `tree ${t}\nauthor ${GOOD_IDENT}\ncommitter A <a@x> -5 +0000\n\n${b.salt}\n`));

// ---------------------------------------------------------------- tags
const tagRaw = (text: (b: CaseBuilder, target: ObjectId) => string): Build => (b) => {
  const target = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.add('tag', text(b, target));
  return { tip: target, refs: [{ name: 'refs/heads/main', id: target }, { name: 'refs/tags/t', id: tag }] };
};
add('tag: ordinary', 'accept', tagRaw((b, c) => `object ${c}\ntype commit\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: no tagger (old tags)', 'accept', tagRaw((b, c) => `object ${c}\ntype commit\ntag v1\n\n${b.salt}\n`));
add('tag: tag name no ref may have', 'accept', tagRaw((b, c) => `object ${c}\ntype commit\ntag a..b\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: extra header after the tagger', 'accept', tagRaw((b, c) => `object ${c}\ntype commit\ntag v1\ntagger ${GOOD_IDENT}\nx-extra y\n\n${b.salt}\n`));
add('tag: NUL in the message', 'accept', tagRaw((b, c) => `object ${c}\ntype commit\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\0\n`));
add('tag: no object', 'refuse', tagRaw((b, c) => `type commit\nobject ${c}\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: bad object id', 'refuse', tagRaw((b, c) => `object ${c.slice(1)}\ntype commit\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: no type', 'refuse', tagRaw((b, c) => `object ${c}\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: unknown type', 'refuse', tagRaw((b, c) => `object ${c}\ntype commitx\ntag v1\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: no tag line', 'refuse', tagRaw((b, c) => `object ${c}\ntype commit\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));
add('tag: bad tagger date', 'refuse', tagRaw((b, c) => `object ${c}\ntype commit\ntag v1\ntagger A <a@x> 01 +0000\n\n${b.salt}\n`));
add('tag: 63 bytes, no tagger (git cannot parse it)', 'refuse', (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.add('tag', `object ${b.blob('tagged')}\ntype blob\ntag \n`);
  return { tip, refs: [{ name: 'refs/heads/main', id: tip }, { name: 'refs/tags/t', id: tag }] };
});
add('tag: 64 bytes, no tagger', 'accept', (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.add('tag', `object ${b.blob('tagged')}\ntype blob\ntag v\n`);
  return { tip, refs: [{ name: 'refs/heads/main', id: tip }, { name: 'refs/tags/t', id: tag }] };
});
add('tag: NUL in header', 'refuse', tagRaw((b, c) => `object ${c}\ntype commit\ntag v\0\ntagger ${GOOD_IDENT}\n\n${b.salt}\n`));

// ---------------------------------------------------------------- links between objects
add('link: file entry naming a tree', 'refuse', (b) => b.commitOf([['100644', 'f', b.tree([['100644', 'x', b.blob()]])]]));
add('link: directory entry naming a blob', 'refuse', (b) => b.commitOf([['40000', 'd', b.blob()]]));
add('link: symlink entry naming a tree', 'refuse', (b) => b.commitOf([['120000', 'l', b.tree([['100644', 'x', b.blob()]])]]));
add('link: file entry naming a commit', 'refuse', (b) => {
  const inner = b.commitOf([['100644', 'x', b.blob('inner')]]);
  return { tip: b.commitOf([['100644', 'f', inner]]) };
});
add('link: submodule entry naming a blob (git does not look)', 'accept', (b) => b.commitOf([['160000', 'sub', b.blob()]]));
add('link: commit whose tree is a blob', 'refuse', (b) => b.commit(b.blob('not a tree')));
add('link: commit whose parent is a tree', 'refuse', (b) => b.commit(b.tree([['100644', 'f', b.blob()]]), { parents: [b.tree([['100644', 'g', b.blob('p')]])] }));
add('link: tag whose type lies (commit, names a blob)', 'refuse', (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.tag(b.blob('tagged'), 'commit');
  return { tip, refs: [{ name: 'refs/heads/main', id: tip }, { name: 'refs/tags/t', id: tag }] };
});
add('link: tag whose type lies (blob, names a commit)', 'refuse', (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.tag(tip, 'blob');
  return { tip, refs: [{ name: 'refs/heads/main', id: tip }, { name: 'refs/tags/t', id: tag }] };
});
add('link: tag of a tree', 'accept', (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const tag = b.tag(b.tree([['100644', 'g', b.blob('g')]]), 'tree');
  return { tip, refs: [{ name: 'refs/heads/main', id: tip }, { name: 'refs/tags/t', id: tag }] };
});

// ---------------------------------------------------------------- refs
const refTo = (target: (b: CaseBuilder) => ObjectId, ref = 'refs/heads/main'): Build => (b) => {
  const tip = b.commitOf([['100644', 'f', b.blob()]]);
  const other = target(b);
  return { tip, refs: ref === 'refs/heads/main' ? [{ name: ref, id: other }] : [{ name: 'refs/heads/main', id: tip }, { name: ref, id: other }] };
};
add('ref: branch at a blob', 'refuse', refTo((b) => b.blob('branch')));
add('ref: branch at a tree', 'refuse', refTo((b) => b.tree([['100644', 'x', b.blob('branch tree')]])));
add('ref: branch at a tag of a commit', 'refuse', refTo((b) => b.tag(b.commitOf([['100644', 'y', b.blob('y')]]), 'commit')));
add('ref: tag ref at a blob', 'accept', refTo((b) => b.blob('tag ref'), 'refs/tags/blob'));

/** Every corpus case, built with salt `salt` (a run uses one salt for all, so object ids are stable within it). */
export function corpus(salt = 'corpus'): CorpusCase[] {
  return cases.map((c, i) => {
    const b = new CaseBuilder(`${salt} #${i}`);
    const built = c.build(b);
    let refs: CorpusRef[];
    if (typeof built === 'string') refs = [{ name: 'refs/heads/main', id: built }];
    else if (built && built.refs) refs = built.refs;
    else if (built && built.tip) refs = [{ name: 'refs/heads/main', id: built.tip }];
    else throw new Error(`case ${c.name} has no tip`);
    return { name: c.name, expect: c.expect, objects: b.objects, refs };
  });
}
