import { WardenError, hasErrorCode } from './WardenError.js';

/** Thrown by runBatch before any work starts: the task module cannot be loaded or has no default export function. */
export class TaskModuleError extends WardenError {
  static readonly code = 'ERR_WARDEN_TASK_MODULE';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_TASK_MODULE', message, options);
  }
}

/** True for a TaskModuleError from any copy of Warden (matched by code). */
export function isTaskModuleError(err: unknown): err is TaskModuleError {
  return hasErrorCode(err, 'ERR_WARDEN_TASK_MODULE');
}
