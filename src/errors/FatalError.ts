import { WardenError, hasErrorCode } from './WardenError.js';

/** Thrown by a task: the failure is severe, so the whole batch aborts (the remaining tasks are dead-lettered `aborted`). */
export class FatalError extends WardenError {
  static readonly code = 'ERR_WARDEN_FATAL';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_FATAL', message, options);
  }
}

/** True for a FatalError from any copy of Warden (matched by code). */
export function isFatalError(err: unknown): err is FatalError {
  return hasErrorCode(err, 'ERR_WARDEN_FATAL');
}
