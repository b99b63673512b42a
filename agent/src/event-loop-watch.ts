// Logs when this process's event loop was blocked: everything an agent does (REST, replication streams, the
// operator's health checks) waits meanwhile, and a stall past the operator's silence window fails the agent over.
import type { Logger } from 'winston';

const TICK_MS = 100;

/** Warns with the stall's length whenever a tick comes `thresholdMs` or more late; returns a stop function. */
export function watchEventLoop(log: Logger, thresholdMs = 300): () => void {
  let expected = Date.now() + TICK_MS;
  const timer = setInterval(() => {
    const now = Date.now();
    const late = now - expected;
    if (late >= thresholdMs) log.warn('event loop stalled', { ms: late });
    expected = now + TICK_MS;
  }, TICK_MS);
  timer.unref();
  return () => clearInterval(timer);
}
