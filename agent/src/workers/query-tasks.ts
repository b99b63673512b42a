// The read-only computations that walk whole histories or trees, run in a worker over a snapshot of the repository's
// object store (shared memory, no copy): compare, history pages, large tree and ref listings, and a merge's computation. Their
// revisions were resolved on the main thread; here only objects are read. Answers come back as the JSON bytes of the
// reply (reply-json.ts), a merge as its outcome with the new objects laid out as store records.
import { compareCommits, type CompareQuery } from '../commands/compare.js';
import { gitCall } from '../commands/git-errors.js';
import { log } from '../commands/log.js';
import { computeMerge, type MergeOutcome, type MergeQuery } from '../commands/merge.js';
import type { ObjectView } from '../commands/object-view.js';
import { treeListing, type TreeAt } from '../commands/read.js';
import { branchesOf, tagsOf } from '../commands/refs.js';
import type { ObjectId } from '../git/objects.js';
import type { StoreSnapshot } from '../store/object-store.js';
import { SnapshotReader } from '../store/object-snapshot.js';
import type { RecordBatchData } from '../store/record-batch.js';
import { commitJson, tagJson } from '../transports/http/present.js';
import { toRecordBatch } from './record-builder.js';
import { jsonReply, type JsonReply } from './reply-json.js';

function view(snapshot: StoreSnapshot): ObjectView {
  return { objects: new SnapshotReader(snapshot) };
}

export interface CompareTaskInput {
  snapshot: StoreSnapshot;
  query: CompareQuery;
}

export function compareTask({ snapshot, query }: CompareTaskInput): JsonReply {
  const c = compareCommits(view(snapshot), query);
  return jsonReply('compare', { ...c, commits: c.commits.map((e) => commitJson(e.id, e.commit)) });
}

export interface HistoryQuery {
  start: ObjectId;
  path?: string;
  limit: number;
  skip: number;
}

export interface HistoryTaskInput {
  snapshot: StoreSnapshot;
  query: HistoryQuery;
}

/** A page of history as the route answers it. */
export function historyReply(v: ObjectView, { start, path, limit, skip }: HistoryQuery) {
  const page = log(v, start, { path, limit, skip });
  const body: { commits: ReturnType<typeof commitJson>[]; next?: string } = { commits: page.commits.map((e) => commitJson(e.id, e.commit)) };
  if (page.next) body.next = page.next;
  return body;
}

export function historyTask({ snapshot, query }: HistoryTaskInput): JsonReply {
  return jsonReply('history', gitCall(() => historyReply(view(snapshot), query)));
}

export interface TreeTaskInput {
  snapshot: StoreSnapshot;
  tree: TreeAt;
}

export function treeTask({ snapshot, tree }: TreeTaskInput): JsonReply {
  return jsonReply('tree', gitCall(() => treeListing(view(snapshot), tree)));
}

export interface MergeTaskInput {
  snapshot: StoreSnapshot;
  query: MergeQuery;
}

export type MergeTaskOutput = Exclude<MergeOutcome, { status: 'merged' }> | (Omit<Extract<MergeOutcome, { status: 'merged' }>, 'objects'> & { objects: RecordBatchData });

export function mergeTask({ snapshot, query }: MergeTaskInput): MergeTaskOutput {
  const o = computeMerge(view(snapshot), query);
  return o.status === 'merged' ? { ...o, objects: toRecordBatch(o.objects) } : o;
}

export interface RefsTaskInput {
  snapshot: StoreSnapshot;
  kind: 'branch' | 'tag';
  /** The refs, sorted: "name\nid\n" each (a ref name holds no newline), one string so it crosses threads in one copy. */
  refs: string;
}

/** Refs flattened for a worker (refsTask). */
export function flattenRefs(refs: readonly [string, ObjectId][]): string {
  let text = '';
  for (const [name, id] of refs) text += `${name}\n${id}\n`;
  return text;
}

export function refsTask({ snapshot, kind, refs: text }: RefsTaskInput): JsonReply {
  const lines = text.split('\n');
  const refs: [string, ObjectId][] = [];
  for (let i = 0; i + 1 < lines.length; i += 2) refs.push([lines[i], lines[i + 1]]);
  if (kind === 'branch') return jsonReply('branches', { branches: branchesOf(refs) });
  return jsonReply('tags', gitCall(() => ({ tags: tagsOf(view(snapshot), refs).map(tagJson) })));
}
