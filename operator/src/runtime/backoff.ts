// Exponential backoff: base × 2^failures, capped (client-go's ItemExponentialFailureRateLimiter).

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures, 30));
}
