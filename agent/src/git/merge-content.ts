// Merging the three versions of one file as ort's handle_content_merge does: modes first, then ids, then the lines of
// regular files; symlinks, submodules and binary files that both sides changed conflict.
import { type FileMode, type ObjectId, type ObjectReader, type ObjectType } from './objects.js';
import { readTyped } from './object-errors.js';
import { mergeText } from './merge-text.js';
import { isBinary } from './patch.js';
import { fileType } from './tree-diff.js';
import { type Stage } from './merge-collect.js';

export interface BlobWriter {
  writeObject(type: ObjectType, data: Buffer): ObjectId;
}

export type ContentMerge = { clean: true; result: Stage } | { clean: false; result: Stage; reason: string };

/** S_IFMT of a mode, absent versions included. */
export const typeOf = (s: Stage | undefined): string => (s ? fileType(s.mode) : 'none');

function readBlob(reader: ObjectReader, s: Stage | undefined): Buffer {
  if (!s) return Buffer.alloc(0);
  return readTyped(reader, s.id, 'blob').data;
}

/** `a` and `b` have the same type (both regular files, both symlinks or both submodules); `o` may be anything or absent. */
export function mergeContent(reader: ObjectReader, writer: BlobWriter, o: Stage | undefined, a: Stage, b: Stage): ContentMerge {
  let clean = true;
  let reason = '';
  let mode: FileMode;
  if (a.mode === b.mode || a.mode === o?.mode) mode = b.mode;
  else {
    mode = a.mode; // only 100644 against 100755 gets here
    clean = b.mode === o?.mode;
    if (!clean) reason = 'mode';
  }
  let id: ObjectId;
  if (a.id === b.id || a.id === o?.id) id = b.id;
  else if (b.id === o?.id) id = a.id;
  else if (fileType(a.mode) === 'file') {
    // A base of another type merges as if there were none (a two-way merge).
    const base = typeOf(o) === 'file' ? readBlob(reader, o) : Buffer.alloc(0);
    const x = readBlob(reader, a);
    const y = readBlob(reader, b);
    if (isBinary(base) || isBinary(x) || isBinary(y)) return { clean: false, result: { mode, id: a.id }, reason: 'binary' };
    const merged = mergeText(base, x, y);
    if (!merged) return { clean: false, result: { mode, id: a.id }, reason: 'content' };
    id = writer.writeObject('blob', merged);
  } else if (fileType(a.mode) === 'gitlink') {
    // git would merge inside the submodule's own history, which a bare repository does not have.
    return { clean: false, result: { mode, id: a.id }, reason: 'submodule' };
  } else {
    return { clean: false, result: { mode, id: a.id }, reason: 'symlink' };
  }
  return clean ? { clean, result: { mode, id } } : { clean, result: { mode, id }, reason };
}
