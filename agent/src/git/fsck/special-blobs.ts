// Blobs git checks because of the name a tree gives them: a .gitmodules (any alias of it) must be a readable blob whose
// submodule entries pass git's rules, a .gitattributes must be a blob of at most 100 MiB with no line of 2048 bytes or
// more (CVE-2022-23521: git's attribute parser overflowed on such input). Symbolic links of those names are the tree
// rules' business; here the name's target is checked, whatever mode (file, directory, submodule) names it.
import type { GitObject, ObjectId } from '../objects.js';
import { refuse } from './report.js';
import { gitmodulesProblem } from './submodule.js';

/** git's ATTR_MAX_FILE_SIZE and ATTR_MAX_LINE_LENGTH. */
export const ATTR_MAX_FILE_SIZE = 100 * 1024 * 1024;
export const ATTR_MAX_LINE_LENGTH = 2048;

export function fsckGitmodulesBlob(id: ObjectId, o: GitObject | undefined): void {
  if (!o) refuse('gitmodulesMissing', 'unable to read .gitmodules blob', id);
  if (o.type !== 'blob') refuse('gitmodulesBlob', 'non-blob found at .gitmodules', id);
  const problem = gitmodulesProblem(o.data);
  if (problem) refuse(problem.check, problem.message, id);
}

export function fsckGitattributesBlob(id: ObjectId, o: GitObject | undefined): void {
  if (!o) refuse('gitattributesMissing', 'unable to read .gitattributes blob', id);
  if (o.type !== 'blob') refuse('gitattributesBlob', 'non-blob found at .gitattributes', id);
  const data = o.data;
  if (data.length > ATTR_MAX_FILE_SIZE) refuse('gitattributesLarge', '.gitattributes too large to parse', id);
  // git scans the blob as a C string: lines up to the first NUL.
  let lineStart = 0;
  for (let i = 0; ; i++) {
    const c = i < data.length ? data[i] : 0;
    if (c !== 0 && c !== 0x0a) continue;
    if (i - lineStart >= ATTR_MAX_LINE_LENGTH) refuse('gitattributesLineLength', '.gitattributes has too long lines to parse', id);
    if (c === 0) return;
    lineStart = i + 1;
  }
}
