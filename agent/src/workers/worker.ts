// The worker threads' entry (pool.ts): one export per task name, each wrapped so a refusal or a bug comes back as a
// value (task-result.ts) and the thread lives on for the next task.
import { exportTask, type ExportTaskInput, type ExportTaskOutput } from './export-task.js';
import { importTask, type ImportTaskInput, type ImportTaskOutput } from './import-task.js';
import { jsonBodyTask, type JsonBodyTaskInput, type JsonBodyTaskOutput } from './json-body-task.js';
import { settle, type TaskResult } from './task-result.js';

export function importBundle(input: ImportTaskInput): Promise<TaskResult<ImportTaskOutput>> {
  return settle(() => importTask(input));
}

export function exportBundle(input: ExportTaskInput): Promise<TaskResult<ExportTaskOutput>> {
  return settle(() => exportTask(input));
}

export function parseJsonBody(input: JsonBodyTaskInput): Promise<TaskResult<JsonBodyTaskOutput>> {
  return settle(() => jsonBodyTask(input));
}
