// Repositories the fuzzer (api-fuzz.test.ts) aims at, each with a builder so that one a request deleted can be put back:
// "alpha" built through the API, "sample" a git-made history imported from a bundle, "odd" what git accepts but ordinary
// histories lack, "empty", and "broken": links of the wrong type that no write path should let in any more (fsck), but
// that a repository journaled before those checks may still hold.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { importBundle } from '../../src/commands/bundle.js';
import { encodeCommit, encodeTag, encodeTree, hashObject, Identity, ObjectType } from '../../src/git/objects.js';
import { RepositoryStore } from '../../src/store/repository-store.js';
import { StoredObject } from '../../src/store/repository.js';
import { AUTHOR } from './agent.js';
import { git, gitText, makeSampleRepo, makeTempDir, makeTempRepo, removeTempDir } from './git-cli.js';

export type FixtureBuilder = (app: FastifyInstance, store: RepositoryStore) => Promise<void>;

async function call(app: FastifyInstance, method: string, url: string, body: unknown): Promise<Record<string, unknown>> {
  const r = await app.inject({ method: method as 'POST', url: `/api/v1${url}`, payload: body as Record<string, unknown> });
  if (r.statusCode >= 300) throw new Error(`fixture ${method} ${url}: ${r.statusCode} ${r.body}`);
  return JSON.parse(r.body) as Record<string, unknown>;
}

/** Nested paths, every mode, binary and unicode content, two branches, a merge, both kinds of tags. */
const alpha: FixtureBuilder = async (app) => {
  await call(app, 'POST', '/repos', { name: 'alpha' });
  const first = await call(app, 'POST', '/repos/alpha/commits', {
    branch: 'main', message: 'one', author: AUTHOR,
    files: [
      { path: 'README.md', content: '# alpha\n' }, { path: 'src/a/b/c.txt', content: 'deep\n' }, { path: 'run.sh', content: '#!/bin/sh\n', mode: '100755' },
      { path: 'link', content: 'README.md', mode: '120000' }, { path: 'bin', content: Buffer.from([0, 1, 2, 255]).toString('base64'), encoding: 'base64' },
      { path: 'é/😀.txt', content: 'unicode\n' },
    ],
  });
  await call(app, 'POST', '/repos/alpha/branches', { name: 'feature/x', from: 'main' });
  await call(app, 'POST', '/repos/alpha/commits', { branch: 'main', message: 'two', author: AUTHOR, files: [{ path: 'README.md', content: '# alpha 2\n' }] });
  await call(app, 'POST', '/repos/alpha/commits', { branch: 'feature/x', message: 'f', author: AUTHOR, files: [{ path: 'src/f.txt', content: 'f\n' }], deletes: ['run.sh'] });
  await call(app, 'POST', '/repos/alpha/merges', { base: 'main', head: 'feature/x', author: AUTHOR, noFastForward: true });
  await call(app, 'POST', '/repos/alpha/tags', { name: 'v1', from: String(first.sha), message: 'release', tagger: AUTHOR });
  await call(app, 'POST', '/repos/alpha/tags', { name: 'light', from: 'main' });
};

let sampleBundle: Buffer | undefined;
/** A git-made history (merges, an annotated tag, delta chains), imported as a user migrating would. */
const sample: FixtureBuilder = async (app, store) => {
  if (!sampleBundle) {
    const dir = makeTempDir();
    const work = makeSampleRepo();
    try {
      git(['bundle', 'create', '-q', join(dir, 's.bundle'), '--all'], { cwd: work });
      sampleBundle = readFileSync(join(dir, 's.bundle'));
    } finally {
      removeTempDir(dir);
      removeTempDir(work);
    }
  }
  await call(app, 'POST', '/repos', { name: 'sample' });
  await importBundle(store.get('sample'), sampleBundle);
};

let oddBundle: Buffer | undefined;
/**
 * What git accepts (checked with fsck --strict) but ordinary histories lack: tags naming a blob, a tree and a tag, a
 * submodule (gitlink) entry, dates at the epoch and past year 275760 (beyond JavaScript's Date), an encoding header.
 */
const odd: FixtureBuilder = async (app, store) => {
  if (!oddBundle) {
    const repo = makeTempRepo();
    try {
      const run = (args: string[], input?: Buffer | string, env?: Record<string, string>) => gitText(args, { cwd: repo, input, env });
      const blob = run(['hash-object', '-w', '--stdin'], 'hi\n');
      const tree = run(['mktree'], `100644 blob ${blob}\tf.txt\n160000 commit ${'1'.repeat(40)}\tsub\n`);
      const far = run(['commit-tree', tree, '-m', 'far future'], undefined, { GIT_AUTHOR_DATE: '@10000000000000 +0000', GIT_COMMITTER_DATE: '@10000000000000 -1200' });
      const epoch = run(['hash-object', '-t', 'commit', '-w', '--stdin'], Buffer.concat([
        Buffer.from(`tree ${tree}\nparent ${far}\nauthor a <b> 0 +0000\ncommitter a <b> 0 +1400\nencoding ISO-8859-1\n\ncaf`), Buffer.from([0xe9, 0x0a]),
      ]));
      run(['update-ref', 'refs/heads/main', epoch]);
      run(['update-ref', 'refs/heads/far', far]);
      run(['tag', 'blobtag', blob]);
      run(['tag', 'treetag', tree]);
      run(['-c', 'advice.nestedTag=false', 'tag', '-a', 'atree', '-m', 'a tree', tree]);
      run(['-c', 'advice.nestedTag=false', 'tag', '-a', 'tagoftag', '-m', 'a tag', 'atree']);
      git(['fsck', '--strict', '--no-dangling'], { cwd: repo });
      git(['bundle', 'create', '-q', 'odd.bundle', '--all'], { cwd: repo });
      oddBundle = readFileSync(join(repo, 'odd.bundle'));
    } finally {
      removeTempDir(repo);
    }
  }
  await call(app, 'POST', '/repos', { name: 'odd' });
  await importBundle(store.get('odd'), oddBundle);
};

const empty: FixtureBuilder = async (app) => {
  await call(app, 'POST', '/repos', { name: 'empty', defaultBranch: 'trunk', description: 'nothing yet' });
};

/**
 * Wrong-type links, stored directly (as an old journal could hold them): branches at a blob and at a tree, commits whose
 * tree is a blob, whose parent is a blob or missing, a tree whose entry types lie, a tag whose type header lies.
 */
const broken: FixtureBuilder = async (app, store) => {
  await call(app, 'POST', '/repos', { name: 'broken' });
  await call(app, 'POST', '/repos/broken/commits', { branch: 'main', message: 'm', author: AUTHOR, files: [{ path: 'f', content: 'x' }] });
  const repo = store.get('broken');
  const main = repo.getRef('refs/heads/main')!;
  const who: Identity = { name: 'a', email: 'b', timestamp: 1, timezone: '+0000' };
  const objects: StoredObject[] = [];
  const put = (type: ObjectType, data: Buffer) => {
    const id = hashObject(type, data);
    objects.push({ id, type, data });
    return id;
  };
  const commit = (tree: string, parents: string[]) => put('commit', encodeCommit({ tree, parents, author: who, committer: who, extraHeaders: [], message: 'x\n' }));
  const blob = put('blob', Buffer.from('blob\n'));
  const tree = put('tree', encodeTree([{ mode: '100644', name: 'f', id: blob }]));
  const lyingTree = put('tree', encodeTree([{ mode: '100644', name: 'f', id: main }, { mode: '40000', name: 'd', id: blob }]));
  const refs: Record<string, string> = {
    'refs/heads/toblob': blob,
    'refs/heads/totree': tree,
    'refs/heads/treeisblob': commit(blob, []),
    'refs/heads/parentisblob': commit(tree, [blob]),
    'refs/heads/missingparent': commit(tree, ['1'.repeat(40)]),
    'refs/heads/lyingtree': commit(lyingTree, []),
    'refs/tags/lie': put('tag', encodeTag({ object: blob, type: 'commit', tag: 'lie', tagger: who, extraHeaders: [], message: 'x\n' })),
  };
  repo.apply(objects, Object.entries(refs).map(([name, id]) => ({ name, old: null, new: id })));
};

export const FIXTURES: Record<string, FixtureBuilder> = { alpha, sample, odd, empty };
export const BROKEN_FIXTURES: Record<string, FixtureBuilder> = { broken };
