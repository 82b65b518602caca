import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the task ran past its budget (deadline, missed heartbeat or unanswered ping) and its worker was stopped. */
export class TaskTimeoutError extends WardenError {
  static readonly code = 'ERR_WARDEN_TASK_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_TASK_TIMEOUT', message, options);
  }
}

/** True for a TaskTimeoutError from any copy of Warden (matched by code). */
export function isTaskTimeoutError(err: unknown): err is TaskTimeoutError {
  return hasErrorCode(err, 'ERR_WARDEN_TASK_TIMEOUT');
}
