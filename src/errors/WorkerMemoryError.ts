import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter (reason `crash`): the worker was killed for going over its memory cap
 * (`maxMemoryMb`: its heap limit, or a process's resident memory), not by its own fault. */
export class WorkerMemoryError extends WardenError {
  static readonly code = 'ERR_WARDEN_WORKER_MEMORY';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_WORKER_MEMORY', message, options);
  }
}

/** True for a WorkerMemoryError from any copy of Warden (matched by code). */
export function isWorkerMemoryError(err: unknown): err is WorkerMemoryError {
  return hasErrorCode(err, 'ERR_WARDEN_WORKER_MEMORY');
}
