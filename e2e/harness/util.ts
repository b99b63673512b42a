// Small helpers shared by the harness: free ports, polling, sleeping.
import { freePort } from '../../agent/test/helpers/free-port.js';
import { setTimeout as delay } from 'node:timers/promises';

export { delay };

/** A free TCP port on host, below the kernel's ephemeral range (see free-port.ts). */
export { freePort };

/**
 * Poll fn until it returns a value other than undefined/false, or throw after
 * timeoutMs with the last error (or the description) in the message.
 */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const intervalMs = opts.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() > deadline) {
      const detail = lastErr instanceof Error ? `: ${lastErr.message}` : lastErr !== undefined ? `: ${String(lastErr)}` : '';
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${detail}`);
    }
    await delay(intervalMs);
  }
}
