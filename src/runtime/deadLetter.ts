import type { DeadLetterReason } from '../machines/deadLetterReason.js';
import type { SerializedError } from '../machines/workerProtocol.js';

/** A task that ended without success: everything needed to understand it and replay it. */
export interface DeadLetter<I = unknown> {
  key: string;
  /** Position of the task in its source (0-based). */
  index: number;
  input: I;
  reason: DeadLetterReason;
  /** The last error (a Warden error for timeout, crash and stops; the task's own otherwise). */
  error: SerializedError;
  /** Attempts started (0 when the task never ran). */
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
}
