import { WardenError, hasErrorCode } from './WardenError.js';

/** Thrown by a task: retrying cannot help (bad data), so the task is dead-lettered `error` without further attempts. */
export class UnrecoverableError extends WardenError {
  static readonly code = 'ERR_WARDEN_UNRECOVERABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_UNRECOVERABLE', message, options);
  }
}

/** True for a UnrecoverableError from any copy of Warden (matched by code). */
export function isUnrecoverableError(err: unknown): err is UnrecoverableError {
  return hasErrorCode(err, 'ERR_WARDEN_UNRECOVERABLE');
}
