// A large commit's computation, in a worker over a snapshot of the repository's object store (shared memory, no copy):
// every check on the input, the new blobs, trees and commit, git's fsck rules on them — the same code the event loop
// runs for small commits (commands/commit.ts computeCommit). The files cross the thread boundary packed (packFiles):
// paths as one string, contents as one transferred buffer, and contents already in shared memory (a large body's
// prepared blobs) as views of it — never 20,000 objects to clone. The new objects come back as store records.
import { computeCommit, type CommitInput, type CommitOutcome, type FileWrite } from '../commands/commit.js';
import type { FileMode, ObjectId } from '../git/objects.js';
import type { StoreSnapshot } from '../store/object-store.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import type { RecordBatchData } from '../store/record-batch.js';
import { toRecordBatch } from './record-builder.js';

const MODES: readonly FileMode[] = ['100644', '100755', '120000'];

/** A commit's files in a form that crosses threads in a few copies (or none). */
export interface PackedFiles {
  /** Every path, concatenated; path i ends at pathEnds[i]. */
  paths: string;
  pathEnds: Uint32Array;
  /** Index into MODES per file. */
  modes: Uint8Array;
  /** Contents not in shared memory, concatenated (transferred); file i's ends at contentEnds[i] (0 bytes for a shared one). */
  contents: Uint8Array;
  contentEnds: Uint32Array;
  /** Contents already in shared memory (prepared by the JSON body worker): file index → its bytes, shared as they are. */
  shared: Map<number, Uint8Array>;
}

export function packFiles(files: readonly FileWrite[]): PackedFiles {
  const n = files.length;
  const pathEnds = new Uint32Array(n);
  const modes = new Uint8Array(n);
  const contentEnds = new Uint32Array(n);
  const shared = new Map<number, Uint8Array>();
  let paths = '';
  let total = 0;
  for (let i = 0; i < n; i++) {
    const f = files[i];
    paths += f.path;
    pathEnds[i] = paths.length;
    const mode = MODES.indexOf(f.mode);
    if (mode < 0) throw new Error(`packFiles: unknown mode ${f.mode}`);
    modes[i] = mode;
    if (f.content.buffer instanceof SharedArrayBuffer) shared.set(i, f.content);
    else total += f.content.length;
    contentEnds[i] = total;
  }
  const contents = new Uint8Array(total);
  for (let i = 0, at = 0; i < n; i++) {
    if (shared.has(i)) continue;
    contents.set(files[i].content, at);
    at += files[i].content.length;
  }
  return { paths, pathEnds, modes, contents, contentEnds, shared };
}

export function unpackFiles(p: PackedFiles): FileWrite[] {
  const contents = Buffer.from(p.contents.buffer, p.contents.byteOffset, p.contents.byteLength);
  const out: FileWrite[] = new Array(p.pathEnds.length);
  for (let i = 0; i < out.length; i++) {
    const view = p.shared.get(i);
    const from = i === 0 ? 0 : p.contentEnds[i - 1];
    out[i] = {
      path: p.paths.slice(i === 0 ? 0 : p.pathEnds[i - 1], p.pathEnds[i]),
      mode: MODES[p.modes[i]],
      content: view ? Buffer.from(view.buffer, view.byteOffset, view.byteLength) : contents.subarray(from, p.contentEnds[i]),
    };
  }
  return out;
}

export interface CommitTaskInput {
  snapshot: StoreSnapshot;
  /** The branch's head the commit is computed from (null: no such branch). */
  current: ObjectId | null;
  commit: Omit<CommitInput, 'files'>;
  files: PackedFiles;
}

export type CommitTaskOutput = Omit<CommitOutcome, 'objects'> & { objects: RecordBatchData };

export function commitTask({ snapshot, current, commit, files }: CommitTaskInput): CommitTaskOutput {
  const o = computeCommit(new SnapshotReader(snapshot), { ...commit, files: unpackFiles(files) }, current);
  return { ...o, objects: toRecordBatch(o.objects) };
}
