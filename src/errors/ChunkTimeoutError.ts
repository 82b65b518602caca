import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the task's chunk ran past its budget before this task finished. */
export class ChunkTimeoutError extends WardenError {
  static readonly code = 'ERR_WARDEN_CHUNK_TIMEOUT';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_CHUNK_TIMEOUT', message, options);
  }
}

/** True for a ChunkTimeoutError from any copy of Warden (matched by code). */
export function isChunkTimeoutError(err: unknown): err is ChunkTimeoutError {
  return hasErrorCode(err, 'ERR_WARDEN_CHUNK_TIMEOUT');
}
