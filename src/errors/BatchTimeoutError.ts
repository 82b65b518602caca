import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the batch ran past its budget before this task finished. */
export class BatchTimeoutError extends WardenError {
  static readonly code = 'ERR_WARDEN_BATCH_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_BATCH_TIMEOUT', message, options);
  }
}

/** True for a BatchTimeoutError from any copy of Warden (matched by code). */
export function isBatchTimeoutError(err: unknown): err is BatchTimeoutError {
  return hasErrorCode(err, 'ERR_WARDEN_BATCH_TIMEOUT');
}
