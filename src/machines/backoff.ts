/** Exponential backoff: `initialMs * factor^(n-1)`, capped at `maxMs`. Pure. */
export interface Backoff {
  initialMs: number;
  factor: number;
  maxMs: number;
}

/** Delay before retry number `retry` (1 = the first retry). */
export function backoffDelay(b: Backoff, retry: number): number {
  const raw = b.initialMs * Math.pow(b.factor, Math.max(0, retry - 1));
  return Math.min(b.maxMs, Math.max(0, Math.round(raw)));
}
