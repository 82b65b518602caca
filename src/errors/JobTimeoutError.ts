import { WardenError, hasErrorCode } from './WardenError.js';

/** The run ran past its job budget (`timeouts.jobMs`): used as the run's abort reason, and recorded on the dead letters of the tasks it had not finished. */
export class JobTimeoutError extends WardenError {
  static readonly code = 'ERR_WARDEN_JOB_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_JOB_TIMEOUT', message, options);
  }
}

/** True for a JobTimeoutError from any copy of Warden (matched by code). */
export function isJobTimeoutError(err: unknown): err is JobTimeoutError {
  return hasErrorCode(err, 'ERR_WARDEN_JOB_TIMEOUT');
}
