/** Why a task ended without success. Every dead letter carries exactly one. */
export type DeadLetterReason =
  | 'timeout'
  | 'error'
  | 'crash'
  | 'circuit-open'
  | 'chunk-timeout'
  | 'batch-timeout'
  | 'job-timeout'
  | 'aborted'
  /** The host died during the run and the job's `onInterrupted` is `'dead-letter'` (written on the next start). */
  | 'interrupted';

/** The reasons in a fixed order (for summaries and metrics). */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'timeout',
  'error',
  'crash',
  'circuit-open',
  'chunk-timeout',
  'batch-timeout',
  'job-timeout',
  'aborted',
  'interrupted',
];

/** Reasons that end a task from outside (its chunk or batch stopped), as opposed to its own failure. */
export type CancelReason = 'circuit-open' | 'chunk-timeout' | 'batch-timeout' | 'job-timeout' | 'aborted';
