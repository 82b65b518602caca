import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the batch was stopped (caller abort, fatal error, failed early chunk, restart intensity) before this task finished. */
export class AbortedError extends WardenError {
  static readonly code = 'ERR_WARDEN_ABORTED';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_ABORTED', message, options);
  }
}

/** True for a AbortedError from any copy of Warden (matched by code). */
export function isAbortedError(err: unknown): err is AbortedError {
  return hasErrorCode(err, 'ERR_WARDEN_ABORTED');
}
