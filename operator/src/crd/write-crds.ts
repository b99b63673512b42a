// `npm run crds`: writes crds/*.yaml and operator/src/crd/generated-types.ts from the schemas in this folder.
// crd-files.test.ts fails when the committed files differ from what this would write.
import { writeFileSync } from 'node:fs';
import { generatedFiles } from './generated-files.js';

const root = new URL('../../../../', import.meta.url);
for (const f of generatedFiles()) {
  writeFileSync(new URL(f.path, root), f.content);
  console.log(`wrote ${f.path}`);
}
