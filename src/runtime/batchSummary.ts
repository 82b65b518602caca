import type { BatchStatus, BatchStopReason } from '../machines/batch.machine.js';
import type { DeadLetterReason } from '../machines/deadLetterReason.js';

/** What runBatch always returns. `succeeded + deadLettered + pending === total`. */
export interface BatchSummary {
  status: BatchStatus;
  /** Why the batch stopped early (absent when it ran to the end of its source). */
  reason?: BatchStopReason | undefined;
  /** Tasks read from the source. */
  total: number;
  succeeded: number;
  deadLettered: number;
  /** Tasks recorded for a later resume (always 0 without a store). */
  pending: number;
  byReason: Record<DeadLetterReason, number>;
  chunks: { completed: number; failed: number };
  /** Threads replaced (hang, crash, failed start). */
  workerRestarts: number;
  /** Threads that did not exit within the terminate timeout (reported, not waited for). */
  stuckThreads: number;
  /** False when the batch stopped before the whole source could be read and dead-lettered. */
  sourceExhausted: boolean;
  startedAt: Date;
  endedAt: Date;
  durationMs: number;
}
