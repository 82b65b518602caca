import type { Backoff } from './backoff.js';

/** What a task's life needs to know: its budget and its retry policy. */
export interface TaskPolicy {
  /** Budget of one attempt, in ms. */
  taskMs: number;
  /** Total attempts, the first included (1 = no retry). */
  attempts: number;
  backoff: Backoff;
}

/** How one attempt failed, as the task machine and the fast path see it. */
export type AttemptFailure = 'error' | 'timeout' | 'crash';
