// The committed CRD YAML and generated types are what `npm run crds` writes from the schemas, and the YAML reads
// back as exactly those objects.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { generatedFiles } from '../src/crd/generated-files.js';
import { govcClusterCrd } from '../src/crd/govccluster-crd.js';
import { repositoryCrd } from '../src/crd/repository-crd.js';
import type { Schema } from '../src/crd/schema-builders.js';
import { toYaml } from '../src/crd/to-yaml.js';

const root = new URL('../../../', import.meta.url);
// js-yaml ships with @kubernetes/client-node; used here only to check our writer's output.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(s: string): unknown };

for (const f of generatedFiles()) {
  test(`${f.path} is up to date (run npm run crds)`, (t) => {
    t.is(readFileSync(new URL(f.path, root), 'utf8'), f.content);
  });
}

test('the YAML writer round-trips the CRDs and awkward strings', (t) => {
  for (const crd of [govcClusterCrd, repositoryCrd]) t.deepEqual(yaml.load(toYaml(crd)), JSON.parse(JSON.stringify(crd)));
  const awkward = { a: 'yes', b: '1', c: 'x: y', d: '', e: "it's", f: ['-', '#x', ' lead'], g: [{ h: [] }, {}], i: null, j: '^(a|b)$' };
  t.deepEqual(yaml.load(toYaml(awkward)), awkward);
});

test('every schema field has a description', (t) => {
  const missing: string[] = [];
  const walk = (s: Schema, path: string): void => {
    if (!s.description) missing.push(path);
    for (const [k, p] of Object.entries(s.properties ?? {})) if (!(k === 'metadata' && !path.includes('.'))) walk(p, `${path}.${k}`);
    if (s.items) walk(s.items, `${path}[]`);
    if (s.additionalProperties) walk(s.additionalProperties, `${path}{}`);
  };
  walk(govcClusterCrd.spec.versions[0].schema.openAPIV3Schema, 'GovcCluster');
  walk(repositoryCrd.spec.versions[0].schema.openAPIV3Schema, 'Repository');
  t.deepEqual(missing, []);
});
