// Property tests: our verdict equals `git fsck --strict`'s on generated tree entry names, paths and trees drawn
// heavily from the dangerous alphabet (".", "git", "GIT", "~1", the HFS-ignorable code points, spaces, trailing dots,
// backslash, colon, "gitmodules", "/", malformed UTF-8), and on randomly damaged tree bytes. Each fast-check run
// judges a whole batch with one git repository and one fsck run; failures print the disagreeing item.
import test from 'ava';
import fc from 'fast-check';
import { hashObject, type GitObject, type ObjectId } from '../src/git/objects.js';
import { pathProblem } from '../src/git/refname.js';
import { rawTree } from './helpers/fsck-corpus.js';
import { FsckOracle, disagreement, gitFindings, involvedIds, ourVerdict } from './helpers/fsck-oracle.js';

const BATCH = 200;
const RUNS = Number(process.env.FSCK_PROPERTY_RUNS ?? 20);
const SEED = process.env.FSCK_PROPERTY_SEED !== undefined ? Number(process.env.FSCK_PROPERTY_SEED) : undefined;

const IGNORABLE = [0x200c, 0x200d, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x206a, 0x206b, 0x206c, 0x206d, 0x206e, 0x206f, 0xfeff]
  .map((cp) => String.fromCodePoint(cp));
/** Name pieces as strings (valid Unicode): what paths are built from. */
const TEXT_TOKENS = [
  '.', '.', '.', '..', 'git', 'git', 'GIT', 'Git', 'gIT', 'g', 'i', 't', '~1', '~1', '~2', '~', '1', '4', ' ', ' ', ':', '::$INDEX_ALLOCATION',
  '$DATA', '\\', '\\', 'gitmodules', 'GITMOD', 'gitattributes', 'GITATT', 'gitignore', 'mailmap', 'MAILMA', 'gi7eba', 'gi250a', 'maba30',
  'a', 'x', 'é', '\u200b', '\u0130', ...IGNORABLE, ...IGNORABLE,
];
/** Raw byte pieces only a tree (not a JSON path) can hold: malformed UTF-8 and a '/' inside a name. */
const BYTE_TOKENS = [Buffer.from([0xff]), Buffer.from([0xc0, 0xae]), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xef, 0xbf, 0xbe]), Buffer.from('/')];

const textName = fc.array(fc.constantFrom(...TEXT_TOKENS), { minLength: 1, maxLength: 6 }).map((parts) => parts.join(''));
const byteName = fc.array(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...TEXT_TOKENS).map((s) => Buffer.from(s)) }, { weight: 1, arbitrary: fc.constantFrom(...BYTE_TOKENS) }),
  { minLength: 1, maxLength: 6 }).map((parts) => Buffer.concat(parts));

const GITMODULES_BODIES = ['', '[submodule "x"]\n\tpath = x\n\turl = ./x\n', '[submodule "../x"]\n\tpath = x\n', '[submodule "x"]\n\turl = -x\n',
  '[submodule "x"]\n\tupdate = !x\n', `${'a'.repeat(2100)}\n`];

interface Item {
  what: string;
  objects: (GitObject & { id: ObjectId })[];
  /** Our verdict on the item when it is not ourVerdict over its objects (paths). */
  ours?: () => boolean;
}

/** fast-check prints an item by what it is, not by its bytes. */
function item(what: string, objects: Item['objects'], ours?: () => boolean): Item {
  return Object.assign({ what, objects, ours }, { [fc.toStringMethod]: () => what });
}

function object(type: GitObject['type'], data: Buffer): GitObject & { id: ObjectId } {
  return { id: hashObject(type, data), type, data };
}

/** One fsck run over a batch: the items where we and git disagree, and how many git refused. */
function judge(items: Item[]): { problems: string[]; refused: number } {
  const oracle = new FsckOracle();
  try {
    const all = new Map<ObjectId, GitObject & { id: ObjectId }>();
    for (const it of items) for (const o of it.objects) all.set(o.id, o);
    oracle.write([...all.values()]);
    const report = oracle.fsck();
    const problems: string[] = [];
    let refused = 0;
    for (const it of items) {
      const git = gitFindings(report, involvedIds(it.objects), []);
      const gitRefuses = git.errors.size > 0;
      if (gitRefuses) refused++;
      if (it.ours) {
        if (it.ours() !== gitRefuses) problems.push(`${it.what}: we ${it.ours() ? 'refuse' : 'accept'}, git errors [${[...git.errors]}]`);
        continue;
      }
      const problem = disagreement(ourVerdict(it.objects, []), report, it.objects, []);
      if (problem) problems.push(`${it.what}: ${problem}`);
    }
    return { problems, refused };
  } finally {
    oracle.close();
  }
}

function property(t: import('ava').ExecutionContext, arb: fc.Arbitrary<Item>): void {
  let checked = 0;
  let refused = 0;
  let problems: string[] = [];
  try {
    fc.assert(fc.property(fc.array(arb, { minLength: BATCH, maxLength: BATCH }), (items) => {
      const verdicts = judge(items);
      problems = verdicts.problems;
      checked += items.length;
      refused += verdicts.refused;
      return problems.length === 0;
    }), { numRuns: RUNS, seed: SEED, endOnFailure: true });
  } catch (e) {
    const seed = /seed: (-?\d+)/.exec((e as Error).message)?.[1];
    t.fail(`seed ${seed}: ${problems.length} disagreements with git, e.g.\n${problems.slice(0, 8).join('\n')}`);
    return;
  }
  t.true(checked >= RUNS * BATCH);
  // The generators must reach both sides of the rules, not just one.
  t.true(refused > checked / 20 && refused < checked - checked / 20, `git refused ${refused} of ${checked}`);
  t.log(`git refused ${refused} of ${checked}`);
}

test('tree entry names: one entry per tree, file or symlink, our verdict is git\'s', (t) => {
  let n = 0;
  const arb = fc.tuple(byteName, fc.constantFrom('100644', '100644', '120000'), fc.constantFrom(...GITMODULES_BODIES)).map(([name, mode, body]): Item => {
    const blob = object('blob', Buffer.from(`${body}# ${n++}\n`));
    const tree = object('tree', rawTree([[mode, name, blob.id]]));
    return item(`${mode} ${JSON.stringify(name.toString('latin1'))}`, [tree, blob]);
  });
  property(t, arb);
});

test('paths: pathProblem refuses a path iff git refuses the trees that hold it', (t) => {
  let n = 0;
  const path = fc.array(fc.oneof({ weight: 12, arbitrary: textName }, { weight: 1, arbitrary: fc.constant('') }), { minLength: 1, maxLength: 4 })
    .map((segments) => segments.join('/'));
  const arb = path.map((p): Item => {
    const segments = p.split('/');
    // A blob of its own (a comment, should the file be a .gitmodules), so no two paths share a tree: git reports some
    // problems under the id of the tree that has them, whoever else holds it.
    const blob = object('blob', Buffer.from(`# ${n++}\n`));
    const objects = [blob];
    let child = object('tree', rawTree([['100644', segments[segments.length - 1], blob.id]]));
    objects.push(child);
    for (let i = segments.length - 2; i >= 0; i--) {
      child = object('tree', rawTree([['40000', segments[i], child.id]]));
      objects.push(child);
    }
    return item(JSON.stringify(p), objects, () => pathProblem(p) !== undefined);
  });
  property(t, arb);
});

const MODES = ['100644', '100644', '100755', '120000', '40000', '40000', '160000', '100664', '040000', '0100644', '1', '160755', '1100644', '40755'];

/** git's tree order: by name bytes, a directory's name as if it ended in '/'. */
function gitOrder(a: [string, Buffer, unknown], b: [string, Buffer, unknown]): number {
  const key = (e: [string, Buffer, unknown]) => ((parseInt(e[0], 8) & 0o170000) === 0o040000 ? Buffer.concat([e[1], Buffer.from('/')]) : e[1]);
  return Buffer.compare(key(a), key(b));
}

test('trees: several entries, modes good and bad, sorted or not, targets of the right type or not', (t) => {
  let n = 0;
  const entry = fc.tuple(fc.oneof({ weight: 3, arbitrary: byteName }, { weight: 2, arbitrary: fc.constantFrom('a', 'a.b', 'b', 'a-', 'ab').map((s) => Buffer.from(s)) }),
    fc.constantFrom(...MODES), fc.integer({ min: 0, max: 9 }), fc.constantFrom(...GITMODULES_BODIES));
  const arb = fc.tuple(fc.array(entry, { minLength: 1, maxLength: 6 }), fc.boolean()).map(([entries, sorted]): Item => {
    const objects: (GitObject & { id: ObjectId })[] = [];
    const rows: [string, Buffer, ObjectId][] = entries.map(([name, mode, lie, body]) => {
      const blob = object('blob', Buffer.from(`${body}# ${n++}\n`));
      const subtree = object('tree', rawTree([['100644', `f${n++}`, blob.id]]));
      const dir = (parseInt(mode, 8) & 0o170000) === 0o040000;
      const gitlink = (parseInt(mode, 8) & 0o170000) === 0o160000;
      // Mostly the right kind of target; one time in ten the other kind.
      const wantTree = lie === 0 ? !dir : dir;
      const target = gitlink ? (lie < 5 ? blob : object('commit', Buffer.from(`not here ${n++}`))) : wantTree ? subtree : blob;
      objects.push(blob, subtree);
      return [mode, name, target.id];
    });
    if (sorted) rows.sort(gitOrder);
    const tree = object('tree', rawTree(rows));
    return item(rows.map(([m, name]) => `${m} ${JSON.stringify(name.toString('latin1'))}`).join(', '), [tree, ...objects]);
  });
  property(t, arb);
});

test('damaged tree bytes: byte flips, insertions and cuts in valid trees', (t) => {
  let n = 0;
  const edit = fc.tuple(fc.constantFrom('flip', 'insert', 'cut'), fc.nat(), fc.constantFrom(0x00, 0x20, 0x30, 0x2e, 0x2f, 0x37, 0x38, 0x5c, 0x67, 0xff));
  const arb = fc.tuple(fc.array(textName, { minLength: 1, maxLength: 4 }), fc.array(edit, { minLength: 1, maxLength: 3 })).map(([names, edits]): Item => {
    const blobs = names.map(() => object('blob', Buffer.from(`b${n++}\n`)));
    const rows: [string, Buffer, ObjectId][] = names.map((name, i) => ['100644', Buffer.from(name), blobs[i].id]);
    rows.sort(gitOrder);
    let data = rawTree(rows);
    for (const [kind, at, byte] of edits) {
      const i = data.length === 0 ? 0 : at % data.length;
      if (kind === 'flip') data[i] = byte;
      else if (kind === 'insert') data = Buffer.concat([data.subarray(0, i), Buffer.from([byte]), data.subarray(i)]);
      else data = data.subarray(0, i);
    }
    const tree = object('tree', Buffer.from(data));
    return item(JSON.stringify(data.toString('latin1')), [tree, ...blobs]);
  });
  property(t, arb);
});

test('identities: commit author lines from the dangerous pieces of names, emails, dates and time zones', (t) => {
  let n = 0;
  const tree = object('tree', Buffer.alloc(0));
  // Each part: mostly the well-formed value, else a few dangerous pieces, so both verdicts come up often.
  const part = (good: string, pieces: string[]) => fc.oneof({ weight: 4, arbitrary: fc.constant(good) },
    { weight: 1, arbitrary: fc.array(fc.constantFrom(...pieces), { minLength: 0, maxLength: 3 }).map((p) => p.join('')) });
  const name = part('A U Thor', ['A', ' ', '<', '>', 'é', '\t']);
  const email = part('a@x', ['a@x', '<', '>', ' ', 'b']);
  const date = part('1700000000', ['0', '1', '01', '00', '-1', '-0', '+5', '9223372036854775807', '9223372036854775808',
    '18446744073709551615', '18446744073709551616', ' ', '\t', '\v', 'a']);
  const zone = part('+0000', ['-0130', '+9999', '+000', '0000', '+00000', ' ', '+0a00', '-']);
  const sep = part(' ', [' ', '\t']);
  const arb = fc.tuple(name, sep, email, sep, date, sep, zone).map(([nm, s1, em, s2, d, s3, z]): Item => {
    const ident = `${nm}${s1}<${em}>${s2}${d}${s3}${z}`;
    const commit = object('commit', Buffer.from(`tree ${tree.id}\nauthor ${ident}\ncommitter C <c@x> 1 +0000\n\n${n++}\n`));
    return item(JSON.stringify(ident), [commit, tree]);
  });
  property(t, arb);
});
