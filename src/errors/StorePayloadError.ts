import { WardenError, hasErrorCode } from './WardenError.js';

/** Why a stored input could not be given back. */
export type StorePayloadProblem = 'oversized' | 'corrupt' | 'unencodable';

/**
 * A stored dead-letter input that cannot be decoded. Returned for that row (never thrown by a
 * read): the other rows and the host are unaffected.
 */
export class StorePayloadError extends WardenError {
  static readonly code = 'ERR_WARDEN_STORE_PAYLOAD';
  readonly problem: StorePayloadProblem;
  /** Bytes stored for the input. */
  readonly size: number;
  /** The decode cap in force (bytes). */
  readonly limit: number;
  constructor(problem: StorePayloadProblem, size: number, limit: number, message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_STORE_PAYLOAD', message, options);
    this.problem = problem;
    this.size = size;
    this.limit = limit;
  }
}

/** True for a StorePayloadError from any copy of Warden (matched by code). */
export function isStorePayloadError(err: unknown): err is StorePayloadError {
  return hasErrorCode(err, 'ERR_WARDEN_STORE_PAYLOAD');
}
