// git's fsck rules as pure functions, without git: the name aliases, path rules, the .gitmodules config parser and
// submodule checks, error shapes, and the link and ref rules against a reader. (The oracle tests hold the same rules
// against `git fsck --strict`.)
import test from 'ava';
import {
  FsckError, fsckIdentifiedObject, fsckLinks, fsckObject, fsckRef, treeEntryNameProblem, type IdentifiedObject,
} from '../src/git/fsck/index.js';
import { parseGitConfig } from '../src/git/fsck/git-config.js';
import { submoduleNameOk, submoduleUrlOk } from '../src/git/fsck/submodule.js';
import { hashObject, type GitObject, type ObjectType } from '../src/git/objects.js';
import { pathProblem } from '../src/git/refname.js';
import { rawTree } from './helpers/fsck-corpus.js';

function obj(type: ObjectType, data: Buffer | string): IdentifiedObject {
  const buf = typeof data === 'string' ? Buffer.from(data) : data;
  return { id: hashObject(type, buf), type, data: buf };
}
function reader(objects: IdentifiedObject[]): { readObject(id: string): GitObject | undefined } {
  const m = new Map(objects.map((o) => [o.id, o]));
  return { readObject: (id) => m.get(id) };
}
function refusal(t: import('ava').ExecutionContext, fn: () => void): FsckError | undefined {
  return t.throws(fn, { instanceOf: FsckError }) ?? undefined;
}

test('treeEntryNameProblem: ".git" on every filesystem git protects, ".", "..", "/", empty', (t) => {
  const refused = ['', '.', '..', 'a/b', '.git', '.GIT', '.gIt', 'git~1', 'GIT~1', '.git ', '.git.', '.git. .', '.git::$INDEX_ALLOCATION',
    '.git:x', '.g\u200cit', '\u200d.git', '.git\ufeff', '.\u206agit', '.git\\config', 'a\\.git', 'a\\git~1\\b', 'x\0y'];
  for (const name of refused) t.truthy(treeEntryNameProblem(name), JSON.stringify(name));
  const accepted = ['a', '...', '.gitx', '.github', 'git', 'git~2', 'git~1x', '.git x', '.g\u200bit', 'a\\b', '.gitmodules', 'GITMOD~1', '~1'];
  for (const name of accepted) t.is(treeEntryNameProblem(name), undefined, JSON.stringify(name));
});

test('pathProblem refuses the issue\'s paths and keeps ordinary ones', (t) => {
  for (const path of ['.git /config', 'git~1/config', '.git./config', '.g\u200cit/config', '.git\\config', '.git::$INDEX_ALLOCATION/config',
    'src/.GIT/x', 'a/GiT~1', 'a/b\\.git/c', '.git', 'x/./y', '../x']) {
    t.truthy(pathProblem(path), path);
  }
  for (const path of ['src/git/index.ts', '.github/workflows/ci.yml', '.gitignore', 'a\\b/c', 'docs/.gitkeep', 'gitk', '\u00e9t\u00e9/.git-blame-ignore-revs']) {
    t.is(pathProblem(path), undefined, path);
  }
});

test('fsckObject names git\'s message id and the object', (t) => {
  const blob = hashObject('blob', Buffer.from('x'));
  const cases: [string, Buffer][] = [
    ['hasDotgit', rawTree([['100644', '.GIT', blob]])],
    ['hasDot', rawTree([['100644', '.', blob]])],
    ['hasDotdot', rawTree([['100644', '..', blob]])],
    ['fullPathname', rawTree([['100644', 'a/b', blob]])],
    ['badTree', rawTree([['100644', '', blob]])],
    ['zeroPaddedFilemode', rawTree([['040000', 'd', blob]])],
    ['badFilemode', rawTree([['160755', 'd', blob]])],
    ['treeNotSorted', rawTree([['100644', 'b', blob], ['100644', 'a', blob]])],
    ['duplicateEntries', rawTree([['100644', 'a', blob], ['40000', 'a', blob]])],
    ['nullSha1', rawTree([['100644', 'a', Buffer.alloc(20)]])],
    ['gitmodulesSymlink', rawTree([['120000', 'GITMOD~1', blob]])],
    ['gitignoreSymlink', rawTree([['120000', '.gitignore', blob]])],
  ];
  for (const [check, data] of cases) {
    const o = obj('tree', data);
    const e = refusal(t, () => fsckObject(o.id, 'tree', o.data));
    t.is(e?.check, check);
    t.is(e?.objectId, o.id);
  }
  const good = obj('tree', rawTree([['100644', 'a.b', blob], ['40000', 'a', blob], ['100664', 'legacy', blob]]));
  t.notThrows(() => fsckObject(good.id, 'tree', good.data));
  t.notThrows(() => fsckObject(good.id, 'tree', Buffer.alloc(0)));
});

test('commit and tag headers: git\'s ids, and what our readers could not decode', (t) => {
  const tree = hashObject('tree', Buffer.alloc(0));
  const ident = 'A <a@x> 1700000000 +0100';
  const commit = (head: string) => Buffer.from(`${head}\n\nmessage\n`);
  const cases: [string, Buffer][] = [
    ['missingTree', commit(`author ${ident}\ncommitter ${ident}`)],
    ['badTreeSha1', commit(`tree ${tree.slice(2)}\nauthor ${ident}\ncommitter ${ident}`)],
    ['missingAuthor', commit(`tree ${tree}\ncommitter ${ident}`)],
    ['multipleAuthors', commit(`tree ${tree}\nauthor ${ident}\nauthor ${ident}\ncommitter ${ident}`)],
    ['missingCommitter', commit(`tree ${tree}\nauthor ${ident}`)],
    ['badDateOverflow', commit(`tree ${tree}\nauthor A <a@x> -1 +0000\ncommitter ${ident}`)],
    ['zeroPaddedDate', commit(`tree ${tree}\nauthor A <a@x> 007 +0000\ncommitter ${ident}`)],
    ['badTimezone', commit(`tree ${tree}\nauthor A <a@x> 1 +01\ncommitter ${ident}`)],
    ['badEmail', commit(`tree ${tree}\nauthor A <a<x> 1 +0000\ncommitter ${ident}`)],
    ['nulInHeader', commit(`tree ${tree}\nauthor ${ident}\0\ncommitter ${ident}`)],
    ['unterminatedHeader', Buffer.from(`tree ${tree}\nauthor ${ident}\ncommitter ${ident}`)],
    ['unreadableHeader', commit(`tree ${tree.toUpperCase()}\nauthor ${ident}\ncommitter ${ident}`)],
  ];
  for (const [check, data] of cases) t.is(refusal(t, () => fsckObject(hashObject('commit', data), 'commit', data))?.check, check, check);
  t.notThrows(() => fsckObject('0'.repeat(40), 'commit', commit(`tree ${tree}\nauthor ${ident}\ncommitter A <a@x>   5 -0700\nencoding latin1`)));
  const tag = Buffer.from(`object ${tree}\ntype tree\ntag v1\ntagger ${ident}\n\nm\n`);
  t.notThrows(() => fsckObject(hashObject('tag', tag), 'tag', tag));
  const badType = Buffer.from(`object ${tree}\ntype trees\ntag v1\n\nm\n`);
  t.is(refusal(t, () => fsckObject(hashObject('tag', badType), 'tag', badType))?.check, 'badType');
});

test('an object whose id is not the hash of its data is refused (replication and snapshots)', (t) => {
  const good = obj('blob', 'hello\n');
  t.notThrows(() => fsckIdentifiedObject(good));
  const e = refusal(t, () => fsckIdentifiedObject({ ...good, data: Buffer.from('hellO\n') }));
  t.is(e?.check, 'hashMismatch');
  t.is(e?.objectId, good.id);
  t.is(refusal(t, () => fsckIdentifiedObject({ ...good, type: 'tree' }))?.check, 'hashMismatch');
});

test('fsckLinks: types across objects, new and existing, and the .gitmodules a tree names', (t) => {
  const blob = obj('blob', 'b\n');
  const sub = obj('tree', rawTree([['100644', 'x', blob.id]]));
  const existing = [blob, sub];
  const check = (objects: IdentifiedObject[]) => fsckLinks(objects, reader(existing));
  const fileToTree = obj('tree', rawTree([['100644', 'f', sub.id]]));
  t.is(refusal(t, () => check([fileToTree]))?.check, 'badTreeEntryType');
  t.is(refusal(t, () => check([fileToTree]))?.objectId, fileToTree.id);
  t.is(refusal(t, () => check([obj('tree', rawTree([['40000', 'd', blob.id]]))]))?.check, 'badTreeEntryType');
  t.notThrows(() => check([obj('tree', rawTree([['160000', 'm', blob.id], ['40000', 'd', sub.id]]))]));
  // Targets nowhere are the connectivity check's business.
  t.notThrows(() => check([obj('tree', rawTree([['40000', 'd', 'ab'.repeat(20)]]))]));

  const ident = 'A <a@x> 1 +0000';
  t.is(refusal(t, () => check([obj('commit', `tree ${blob.id}\nauthor ${ident}\ncommitter ${ident}\n\nm\n`)]))?.check, 'badCommitTree');
  t.is(refusal(t, () => check([obj('commit', `tree ${sub.id}\nparent ${sub.id}\nauthor ${ident}\ncommitter ${ident}\n\nm\n`)]))?.check, 'badCommitParent');
  t.is(refusal(t, () => check([obj('tag', `object ${sub.id}\ntype blob\ntag v\n\nm\n`)]))?.check, 'badTagTarget');
  t.notThrows(() => check([obj('tag', `object ${sub.id}\ntype tree\ntag v\n\nm\n`)]));

  // An existing blob, harmless as "notes.txt", becomes a .gitmodules in a new tree: its content is checked then.
  const hostile = obj('blob', '[submodule "x"]\n\turl = --upload-pack=evil\n');
  existing.push(hostile);
  t.notThrows(() => check([obj('tree', rawTree([['100644', 'notes.txt', hostile.id]]))]));
  const e = refusal(t, () => check([obj('tree', rawTree([['100644', '.gitmodules', hostile.id]]))]));
  t.is(e?.check, 'gitmodulesUrl');
  t.is(e?.objectId, hostile.id);
  t.is(refusal(t, () => check([obj('tree', rawTree([['100644', '.GITMODULES', hostile.id]]))]))?.check, 'gitmodulesUrl');
  t.is(refusal(t, () => check([obj('tree', rawTree([['40000', '.gitmodules', sub.id]]))]))?.check, 'gitmodulesBlob');
  t.is(refusal(t, () => check([obj('tree', rawTree([['160000', '.gitmodules', 'cd'.repeat(20)]]))]))?.check, 'gitmodulesMissing');
  const longLines = obj('blob', `${'x'.repeat(4096)}\n`);
  t.is(refusal(t, () => check([longLines, obj('tree', rawTree([['100644', '.gitattributes', longLines.id]]))]))?.check, 'gitattributesLineLength');
});

test('fsckRef: a branch names a commit, any ref an object that is there', (t) => {
  const blob = obj('blob', 'x');
  const tree = obj('tree', Buffer.alloc(0));
  const commit = obj('commit', `tree ${tree.id}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nm\n`);
  const r = reader([blob, tree, commit]);
  t.notThrows(() => fsckRef('refs/heads/main', commit.id, r));
  t.notThrows(() => fsckRef('refs/tags/blob', blob.id, r));
  const e = refusal(t, () => fsckRef('refs/heads/main', blob.id, r));
  t.is(e?.check, 'refNotCommit');
  t.is(e?.objectId, blob.id);
  t.is(refusal(t, () => fsckRef('refs/heads/main', tree.id, r))?.check, 'refNotCommit');
  t.is(refusal(t, () => fsckRef('refs/tags/x', 'ef'.repeat(20), r))?.check, 'missingRefTarget');
});

test('git-config parser: sections, subsections, quoting, escapes, comments; stops at the first syntax error', (t) => {
  const entries = (text: string | Buffer) => {
    const out: [string, string | null][] = [];
    const ok = parseGitConfig(typeof text === 'string' ? Buffer.from(text, 'latin1') : text, (k, v) => out.push([k, v]));
    return { ok, out };
  };
  t.deepEqual(entries('[Sub "A.b"]\n\tKey = "x y" ; c\n\tflag\n[a.B]\nk=1 # c\n'), {
    ok: true, out: [['sub.A.b.key', 'x y'], ['sub.A.b.flag', null], ['a.b.k', '1']],
  });
  t.deepEqual(entries('[s "x"]\n\tk = a\\\n b\\tc\\"\r\n'), { ok: true, out: [['s.x.k', 'a b\tc"']] });
  t.deepEqual(entries('[s "x"]\n\ta = 1\n\t= 2\n\tb = 3\n'), { ok: false, out: [['s.x.a', '1']] });
  t.deepEqual(entries('[s "x"]\n\ta = "open\n'), { ok: false, out: [] });
  t.deepEqual(entries('[s "x"]\n\ta = \\q\n'), { ok: false, out: [] });
  t.deepEqual(entries('[s "x]\n'), { ok: false, out: [] });
  // Read as signed C chars, 0xFF ends the input like EOF and a byte order mark is a syntax error; as unsigned ones not.
  const ff = Buffer.from([...Buffer.from('[s "x"]\na = 1\n'), 0xff, ...Buffer.from('\nb = 2\n')]);
  t.deepEqual(entries(ff), { ok: true, out: [['s.x.a', '1']] });
  const unsigned = (data: Buffer) => {
    const out: [string, string | null][] = [];
    return { ok: parseGitConfig(data, (k, v) => out.push([k, v]), false), out };
  };
  t.deepEqual(unsigned(ff), { ok: false, out: [['s.x.a', '1']] });
  const bom = Buffer.from('\ufeff[s "x"]\na = 1\n');
  t.deepEqual(entries(bom), { ok: false, out: [] });
  t.deepEqual(unsigned(bom), { ok: true, out: [['s.x.a', '1']] });
});

test('submodule names and urls as git judges them', (t) => {
  for (const name of ['', '..', '../x', 'x/..', 'a/../b', '..\\x', 'a\\..\\b']) t.false(submoduleNameOk(name), name);
  for (const name of ['a', 'a..b', '...', '.x', 'a/b', 'a/.../b']) t.true(submoduleNameOk(name), name);
  for (const url of ['-x', '--upload-pack=x', './x%0a', '../x%0Ay', 'git://h/%0a', '../:h/x', '../../..//h/x', 'https:///x',
    'https://u%0a@h/x', 'https://h/x%0ay', 'http::h/x', 'ftp://', 'https://@/x']) {
    t.false(submoduleUrlOk(url), url);
  }
  for (const url of ['https://h/x', 'https://u:p@h:80/x?q#f', 'ssh://git@h/x', 'git@h:x', '../x', './x', '../../x', 'foo://h/%0a',
    'file:///x', 'http::https://h/x', 'x%0a']) {
    t.true(submoduleUrlOk(url), url);
  }
});
