// What a worker task hands back across the thread boundary: structured clone drops the class of an error and its extra
// fields, so refusals travel as plain values and become GovcErrors again on the main thread (pool.ts).
import { Piscina } from 'piscina';
import { GovcError, type ErrorKind } from '../errors.js';

export type TaskName = 'importBundle' | 'exportBundle' | 'parseJsonBody' | 'compare' | 'history' | 'listTree' | 'listRefs' | 'merge'
  | 'replicationSnapshot' | 'replicaChange' | 'commit' | 'repoState';

export interface TaskFailure {
  kind: ErrorKind;
  code: string;
  message: string;
  details?: Record<string, unknown>;
}

export type TaskResult<T> = { ok: true; value: T } | { ok: false; error: TaskFailure } | { ok: false; bug: { message: string; stack?: string } };

/** Runs a task body: a GovcError becomes a refusal, anything else a bug report; neither kills the worker. */
export async function settle<T>(body: () => T | Promise<T>): Promise<TaskResult<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (e) {
    if (e instanceof GovcError) return { ok: false, error: { kind: e.kind, code: e.code, message: e.message, details: e.details } };
    const err = e instanceof Error ? e : new Error(String(e));
    return { ok: false, bug: { message: err.message, stack: err.stack } };
  }
}

/**
 * settle, with the ArrayBuffers `transfer` picks from a successful result moved to the main thread instead of copied
 * (piscina's Transferable protocol: the wrapper is unwrapped by the pool, the buffers go in the transfer list).
 */
export async function settleMoving<T>(body: () => T | Promise<T>, transfer: (value: T) => ArrayBuffer[]): Promise<TaskResult<T>> {
  const result = await settle(body);
  if (!result.ok) return result;
  const moving = { [Piscina.transferableSymbol]: transfer(result.value), [Piscina.valueSymbol]: result };
  return Piscina.move(moving as never) as unknown as TaskResult<T>;
}
