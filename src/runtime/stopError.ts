import { AbortedError } from '../errors/AbortedError.js';
import { BatchTimeoutError } from '../errors/BatchTimeoutError.js';
import { ChunkTimeoutError } from '../errors/ChunkTimeoutError.js';
import { CircuitOpenError } from '../errors/CircuitOpenError.js';
import { JobTimeoutError } from '../errors/JobTimeoutError.js';
import type { BatchStopReason } from '../machines/batch.machine.js';
import type { CancelReason } from '../machines/deadLetterReason.js';
import type { SerializedError } from '../machines/workerProtocol.js';

/** The dead-letter reason of the tasks a stopping batch leaves unfinished. */
export function cancelReasonOf(reason: BatchStopReason | undefined): CancelReason {
  if (reason === 'batch-timeout' || reason === 'circuit-open' || reason === 'job-timeout') return reason;
  return 'aborted';
}

/**
 * An error Warden raised itself (a timeout, a stop, a crash it noticed), as a letter carries it:
 * without a stack. Where Warden noticed says nothing about the task, and the stack (a dozen
 * frames of the engine and XState, about 900 bytes) would be stored with every such letter.
 */
export function plainError(e: Error & { code?: string }): SerializedError {
  return { name: e.name, message: e.message, code: e.code };
}

/** The error recorded on a task ended from outside, one error class per reason. */
export function stopError(reason: CancelReason, detail: string): SerializedError {
  switch (reason) {
    case 'batch-timeout':
      return plainError(new BatchTimeoutError(`the batch ran past its budget (${detail})`));
    case 'chunk-timeout':
      return plainError(new ChunkTimeoutError(`the chunk ran past its budget (${detail})`));
    case 'circuit-open':
      return plainError(new CircuitOpenError(`the circuit opened (${detail})`));
    case 'job-timeout':
      return plainError(new JobTimeoutError(`the job ran past its budget (${detail})`));
    case 'aborted':
      return plainError(new AbortedError(`the batch stopped (${detail})`));
  }
}
