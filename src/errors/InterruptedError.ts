import { WardenError, hasErrorCode } from './WardenError.js';

/** The host running the task died (or was killed) before the task ended; recorded on `interrupted` dead letters when a job's `onInterrupted` is `'dead-letter'`. */
export class InterruptedError extends WardenError {
  static readonly code = 'ERR_WARDEN_INTERRUPTED';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_INTERRUPTED', message, options);
  }
}

/** True for an InterruptedError from any copy of Warden (matched by code). */
export function isInterruptedError(err: unknown): err is InterruptedError {
  return hasErrorCode(err, 'ERR_WARDEN_INTERRUPTED');
}
