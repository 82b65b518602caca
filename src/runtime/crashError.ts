import { WorkerCrashError } from '../errors/WorkerCrashError.js';
import { WorkerMemoryError } from '../errors/WorkerMemoryError.js';
import type { SerializedError } from '../machines/workerProtocol.js';
import { plainError } from './stopError.js';

/** The error a task's dead letter records when its worker died under it (`code`: its exit code;
 * `error`: what the worker said about it). A memory cap kill is a WorkerMemoryError, anything else a WorkerCrashError. */
export function crashError(code: number, error: SerializedError | undefined): SerializedError {
  const e =
    error?.code === WorkerMemoryError.code
      ? new WorkerMemoryError(`the worker was killed for its memory (exit code ${code}): ${error.message}`)
      : new WorkerCrashError(`the worker died (exit code ${code})${error ? `: ${error.message}` : ''}`);
  // the worker's own error, when it had one, keeps its stack: that one is about the task
  return error?.stack === undefined ? plainError(e) : { ...plainError(e), stack: error.stack };
}
