// The worker threads' entry (pool.ts): one export per task name, each wrapped so a refusal or a bug comes back as a
// value (task-result.ts) and the thread lives on for the next task.
import { setPriority } from 'node:os';
import { commitTask, type CommitTaskInput, type CommitTaskOutput } from './commit-task.js';
import { exportTask, type ExportTaskInput, type ExportTaskOutput } from './export-task.js';
import { importTask, type ImportTaskInput, type ImportTaskOutput } from './import-task.js';
import { jsonBodyTask, type JsonBodyTaskInput, type JsonBodyTaskOutput } from './json-body-task.js';
import {
  compareTask, historyTask, mergeTask, refsTask, treeTask, type CompareTaskInput, type HistoryTaskInput, type MergeTaskInput,
  type MergeTaskOutput, type RefsTaskInput, type TreeTaskInput,
} from './query-tasks.js';
import type { JsonReply } from './reply-json.js';
import { replicaChangeTask, type ReplicaChangeTaskInput, type ReplicaChangeTaskOutput } from './replica-change-task.js';
import { repoStateTask, type EncodedMessage, type RepoStateTaskInput } from './repo-state-task.js';
import { replicationSnapshotTask, type SnapshotTaskInput, type SnapshotTaskOutput } from './replication-snapshot-task.js';
import { settle, settleMoving, type TaskResult } from './task-result.js';

/**
 * Heavy work yields the CPU to the event loop: on Linux a thread's nice value is its own (setpriority on the calling
 * thread), so this thread runs at nice +10 and the main thread, answering /healthz and everything light, gets ~9 in 10
 * of a contended core. Elsewhere (or without permission) it is a no-op.
 */
const WORKER_NICE = 10;
try {
  setPriority(WORKER_NICE);
} catch {
  // not supported here: the threads run at the process's priority
}

export function importBundle(input: ImportTaskInput): Promise<TaskResult<ImportTaskOutput>> {
  return settle(() => importTask(input));
}

export function exportBundle(input: ExportTaskInput): Promise<TaskResult<ExportTaskOutput>> {
  return settle(() => exportTask(input));
}

export function parseJsonBody(input: JsonBodyTaskInput): Promise<TaskResult<JsonBodyTaskOutput>> {
  return settle(() => jsonBodyTask(input));
}

/** A reply's bytes move to the main thread without a copy. */
const movedJson = (r: JsonReply) => [r.json.buffer as ArrayBuffer];

export function compare(input: CompareTaskInput): Promise<TaskResult<JsonReply>> {
  return settleMoving(() => compareTask(input), movedJson);
}

export function history(input: HistoryTaskInput): Promise<TaskResult<JsonReply>> {
  return settleMoving(() => historyTask(input), movedJson);
}

export function listTree(input: TreeTaskInput): Promise<TaskResult<JsonReply>> {
  return settleMoving(() => treeTask(input), movedJson);
}

export function listRefs(input: RefsTaskInput): Promise<TaskResult<JsonReply>> {
  return settleMoving(() => refsTask(input), movedJson);
}

export function merge(input: MergeTaskInput): Promise<TaskResult<MergeTaskOutput>> {
  return settle(() => mergeTask(input));
}

export function commit(input: CommitTaskInput): Promise<TaskResult<CommitTaskOutput>> {
  return settle(() => commitTask(input));
}

export function repoState(input: RepoStateTaskInput): Promise<TaskResult<EncodedMessage>> {
  return settleMoving(() => repoStateTask(input), (r) => [r.bytes.buffer as ArrayBuffer]);
}

export function replicationSnapshot(input: SnapshotTaskInput): Promise<TaskResult<SnapshotTaskOutput>> {
  return settle(() => replicationSnapshotTask(input));
}

/** A replica's large change or snapshot: its journal record moves to the main thread without a copy. */
export function replicaChange(input: ReplicaChangeTaskInput): Promise<TaskResult<ReplicaChangeTaskOutput>> {
  return settleMoving(() => replicaChangeTask(input), (r) => (r.journal ? [r.journal.buffer as ArrayBuffer] : []));
}
