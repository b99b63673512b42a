// The fsck benchmark: what git's fsck rules cost a real import. Reads the express history (the corpus's
// express.bundle, or BENCH_BUNDLE) as an import's worker does — parse the bundle, inflate and hash the pack — alternating
// rounds that only decode the objects (what imports checked before the rules) with rounds that run the rules (fsckObject
// on every object, fsckLinks, fsckRef on every ref), in the same process and run; reports the median of each, their
// ratio, and the time of the three fsck calls alone over the same objects.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fsckLinks, fsckObject, fsckRef } from '../agent/src/git/fsck/index.js';
import { parseBundle } from '../agent/src/git/bundle.js';
import { decodeCommit, decodeTag, decodeTree } from '../agent/src/git/objects.js';
import { readPack } from '../agent/src/git/pack-reader.js';
import { Repository } from '../agent/src/store/repository.js';
import { EXPRESS_BUNDLE } from '../agent/test/helpers/corpus.js';

const BUNDLE = process.env.BENCH_BUNDLE ?? EXPRESS_BUNDLE;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function freshRepo(): Repository {
  return new Repository({ name: 'bench', description: '', defaultBranch: 'main', createdAt: new Date(0).toISOString() });
}

function timeImport(data: Buffer, fsck: boolean): number {
  const t0 = performance.now();
  const bundle = parseBundle(data);
  const objects = readPack(bundle.pack);
  if (fsck) {
    for (const o of objects) fsckObject(o.id, o.type, o.data);
    fsckLinks(objects, freshRepo().objects);
    const byId = new Map(objects.map((o) => [o.id, o]));
    for (const r of bundle.refs) if (r.name !== 'HEAD') fsckRef(r.name, r.id, { readObject: (id) => byId.get(id) });
  } else {
    for (const o of objects) {
      if (o.type === 'commit') decodeCommit(o.data);
      else if (o.type === 'tree') decodeTree(o.data);
      else if (o.type === 'tag') decodeTag(o.data);
    }
  }
  return performance.now() - t0;
}

export async function fsckBench(): Promise<void> {
  const data = readFileSync(BUNDLE);
  // Warm up both paths (JIT) before measuring.
  timeImport(data, false);
  timeImport(data, true);
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    before.push(timeImport(data, false));
    after.push(timeImport(data, true));
  }
  // The rules alone, over the same objects.
  const bundle = parseBundle(data);
  const objects = readPack(bundle.pack);
  const empty = freshRepo().objects;
  const byId = new Map(objects.map((o) => [o.id, o]));
  const rules: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    for (const o of objects) fsckObject(o.id, o.type, o.data);
    fsckLinks(objects, empty);
    for (const r of bundle.refs) if (r.name !== 'HEAD') fsckRef(r.name, r.id, { readObject: (id) => byId.get(id) });
    rules.push(performance.now() - t0);
  }
  const result = {
    bench: 'fsck',
    bundle: BUNDLE,
    objects: objects.length,
    rounds: ROUNDS,
    import_ms_without_fsck: Math.round(median(before)),
    import_ms_with_fsck: Math.round(median(after)),
    import_ratio_fsck: Number((median(after) / median(before)).toFixed(3)),
    fsck_rules_ms: Math.round(median(rules)),
  };
  process.stderr.write(`import without fsck ${result.import_ms_without_fsck} ms, with ${result.import_ms_with_fsck} ms (x${result.import_ratio_fsck}); rules alone ${result.fsck_rules_ms} ms over ${objects.length} objects\n`);
  console.log(JSON.stringify(result));
}
