import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the worker running the task died (uncaught error, process.exit, out of memory). */
export class WorkerCrashError extends WardenError {
  static readonly code = 'ERR_WARDEN_WORKER_CRASH';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_WORKER_CRASH', message, options);
  }
}

/** True for a WorkerCrashError from any copy of Warden (matched by code). */
export function isWorkerCrashError(err: unknown): err is WorkerCrashError {
  return hasErrorCode(err, 'ERR_WARDEN_WORKER_CRASH');
}
