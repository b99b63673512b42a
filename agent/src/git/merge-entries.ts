// The last phase of git's ort merge (process_entries): every path still open is settled — taken from the side that
// changed it, merged line by line, or found in conflict — deepest paths first, so that each directory's tree is written
// from its merged entries before the directory itself is settled.
import { MODE_TREE, encodeTree, type TreeEntry } from './objects.js';
import { mergeContent, typeOf, type BlobWriter } from './merge-content.js';
import { type MergeState, type PathInfo } from './merge-collect.js';

const basename = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** The merged root tree id; the caller looks at state.conflicts to know whether it is clean. */
export function processEntries(state: MergeState, writer: BlobWriter): string {
  const children = new Map<string, TreeEntry[]>();
  const record = (path: string, info: PathInfo) => {
    if (info.isNull || !info.result) return;
    let list = children.get(info.dirName);
    if (!list) children.set(info.dirName, (list = []));
    list.push({ name: basename(path), mode: info.result.mode, id: info.result.id });
  };
  // Descendants sort after their directory, so walking backwards settles them first.
  const keys = [...state.paths.keys()].sort();
  for (let k = keys.length - 1; k >= 0; k--) {
    const path = keys[k];
    const info = state.paths.get(path)!;
    if (info.clean) record(path, info);
    else processEntry(state, writer, path, info, children, record);
  }
  return writer.writeObject('tree', encodeTree(children.get('') ?? []));
}

function processEntry(
  state: MergeState, writer: BlobWriter, path: string, dirInfo: PathInfo, children: Map<string, TreeEntry[]>, record: (path: string, info: PathInfo) => void,
): void {
  const conflict = (reason: string) => state.conflicts.push({ path, reason });
  let ci = dirInfo;
  if (ci.dirmask) {
    const entries = children.get(path) ?? [];
    ci.isNull = entries.length === 0;
    ci.result = ci.isNull ? undefined : { mode: MODE_TREE, id: writer.writeObject('tree', encodeTree(entries)) };
    record(path, ci);
    if (ci.filemask === 0) return;
    if (!ci.isNull) {
      // The directory stays and a file wants the same name: git moves the file aside (to path~branch), where it
      // conflicts unless it merges to nothing.
      if (ci.filemask === 1) return;
      ci = { ...ci, stages: [...ci.stages], result: undefined, isNull: false };
    } else {
      // Nothing is left of the directory: the file part is merged as if it had never been there.
      ci.dfConflict = false;
      ci.isNull = false;
      ci.result = undefined;
    }
    ci.matchMask &= ~ci.dirmask;
    ci.dirmask = 0;
    for (let i = 0; i < 3; i++) if (!(ci.filemask & (1 << i))) ci.stages[i] = undefined;
    if (ci !== dirInfo) {
      settle(state, writer, ci, conflict);
      return; // nothing of it goes into the tree of a clean merge
    }
  }
  settle(state, writer, ci, conflict);
  record(path, ci);
}

function settle(state: MergeState, writer: BlobWriter, ci: PathInfo, conflict: (reason: string) => void): void {
  const unsettled = ci.dfConflict || ci.pathConflict;
  if (ci.matchMask) {
    let clean = !unsettled;
    if (ci.matchMask === 6) ci.result = ci.stages[1];
    else {
      ci.result = ci.stages[(7 & ~ci.matchMask) === 4 ? 2 : 1];
      ci.isNull = !ci.result;
      if (ci.isNull) clean = true;
    }
    if (!clean) conflict(ci.pathConflict ? 'rename' : 'file/directory');
  } else if (ci.filemask >= 6 && typeOf(ci.stages[1]) !== typeOf(ci.stages[2])) {
    conflict('distinct types');
  } else if (ci.filemask >= 6) {
    const m = mergeContent(state.reader, writer, ci.stages[0], ci.stages[1]!, ci.stages[2]!);
    ci.result = m.result;
    if (!m.clean) conflict(m.reason === 'content' && ci.filemask === 6 ? 'add/add' : m.reason);
    else if (unsettled) conflict(ci.pathConflict ? 'rename' : 'file/directory');
  } else if (ci.filemask === 3 || ci.filemask === 5) {
    ci.result = ci.stages[ci.filemask === 5 ? 2 : 1];
    conflict(ci.pathConflict ? 'rename/delete' : 'modify/delete');
  } else if (ci.filemask === 2 || ci.filemask === 4) {
    ci.result = ci.stages[ci.filemask === 4 ? 2 : 1];
    if (unsettled) conflict(ci.pathConflict ? 'rename' : 'file/directory');
  } else if (ci.filemask === 1) {
    ci.isNull = true;
    ci.result = undefined;
    if (ci.pathConflict) conflict('rename');
  }
}
