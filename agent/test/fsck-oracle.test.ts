// The hostile corpus against `git fsck --strict` (git 2.39): every hand-made case is written into one repository with
// git's plumbing, one fsck run judges them all, and for each case our verdict (fsckObject on every object, fsckLinks,
// fsckRef) must equal git's, and both the case's own expectation.
import test from 'ava';
import { BEYOND_GIT, isKnownCheck } from '../src/git/fsck/index.js';
import { corpus } from './helpers/fsck-corpus.js';
import { FsckOracle, disagreement, gitFindings, involvedIds, ourVerdict, type FsckReport } from './helpers/fsck-oracle.js';

const cases = corpus('oracle');
let oracle: FsckOracle;
let report: FsckReport;

test.before(() => {
  oracle = new FsckOracle();
  oracle.write(cases.flatMap((c) => c.objects));
  // Each case's refs, renamed apart (refs/heads/main of case 7 becomes refs/heads/c7/main).
  cases.forEach((c, i) => c.refs.forEach((r) => oracle.setRef(caseRef(i, r.name), r.id)));
  report = oracle.fsck();
});
test.after.always(() => oracle?.close());

function caseRef(i: number, name: string): string {
  const [, kind, ...rest] = name.split('/');
  return `refs/${kind}/c${i}/${rest.join('/')}`;
}

test('the corpus covers every class with both outcomes', (t) => {
  t.true(cases.length > 150, `${cases.length} cases`);
  for (const expect of ['accept', 'refuse', 'ours'] as const) t.true(cases.some((c) => c.expect === expect));
  const prefixes = new Set(cases.map((c) => c.name.split(':')[0]));
  for (const p of ['tree', 'mode', 'order', 'symlink', 'gitmodules', 'gitattributes', 'commit', 'identity', 'tag', 'link', 'ref']) t.true(prefixes.has(p), p);
});

cases.forEach((c, i) => {
  test(`oracle: ${c.name}`, (t) => {
    const refs = c.refs.map((r) => ({ name: caseRef(i, r.name), id: r.id }));
    const ours = ourVerdict(c.objects, refs);
    const problem = disagreement(ours, report, c.objects, refs);
    t.is(problem, undefined, problem);
    if (ours) t.true(isKnownCheck(ours.check), `${ours.check} is in none of report.ts's tables`);
    const git = gitFindings(report, involvedIds(c.objects), refs.map((r) => r.name));
    const gitRefuses = git.errors.size > 0 || git.refErrors.length > 0;
    if (c.expect === 'refuse') {
      t.true(gitRefuses, 'git accepts a case the corpus expects it to refuse');
      t.truthy(ours);
    } else if (c.expect === 'accept') {
      t.false(gitRefuses, `git refuses: ${[...git.errors, ...git.refErrors]}`);
      t.is(ours, undefined, ours?.message);
    } else {
      t.false(gitRefuses, `git refuses: ${[...git.errors, ...git.refErrors]}`);
      t.truthy(ours && ours.check in BEYOND_GIT, `expected a refusal beyond git, got ${ours?.check}`);
    }
  });
});
