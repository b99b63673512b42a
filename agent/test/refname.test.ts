// Ref-name rules against `git check-ref-format`, and path rules.
import test from 'ava';
import { pathProblem, refNameProblem, shortRefProblem } from '../src/git/refname.js';
import { git } from './helpers/git-cli.js';

const NAMES = [
  'refs/heads/main', 'refs/heads/feature/x', 'refs/heads/a..b', 'refs/heads/.hidden', 'refs/heads/x.lock', 'refs/heads/x/',
  'refs/heads//x', 'refs/heads/a b', 'refs/heads/a~1', 'refs/heads/a^', 'refs/heads/a:b', 'refs/heads/a?', 'refs/heads/a*',
  'refs/heads/a[', 'refs/heads/a\\b', 'refs/heads/a@{1}', 'refs/heads/x.', 'refs/heads/ünï', 'refs/tags/v1.0', '@',
  'refs/heads/a\tb', 'refs/heads/a\x7fb', 'refs/heads/-dash', 'refs/heads/@', 'refs/heads/a.lock/b',
];

test('refNameProblem agrees with git check-ref-format', (t) => {
  for (const name of NAMES) {
    let gitOk = true;
    try {
      git(['check-ref-format', name]);
    } catch {
      gitOk = false;
    }
    t.is(refNameProblem(name) === undefined, gitOk, name);
  }
});

test('short branch names: leading dash and HEAD are refused like git branch does', (t) => {
  t.truthy(shortRefProblem('-x', 'refs/heads/'));
  t.truthy(shortRefProblem('HEAD', 'refs/heads/'));
  t.truthy(shortRefProblem('refs/heads/x', 'refs/heads/'));
  t.is(shortRefProblem('feature/login', 'refs/heads/'), undefined);
});

test('pathProblem refuses escapes and what fsck refuses', (t) => {
  for (const bad of ['', '/abs', 'a//b', 'a/', '../x', 'a/../b', './a', 'a/./b', 'a\0b', '.git/config', 'x/.GIT/y']) {
    t.truthy(pathProblem(bad), JSON.stringify(bad));
  }
  for (const good of ['a', 'a/b/c.txt', '.gitignore', 'ünï/日本.txt', 'with space/x', '..foo', 'a..b']) {
    t.is(pathProblem(good), undefined, good);
  }
});
