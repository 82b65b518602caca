import { WardenError, hasErrorCode } from './WardenError.js';

/** Recorded on a dead letter: the circuit opened on repeated dependency failures and the batch stopped before this task finished. */
export class CircuitOpenError extends WardenError {
  static readonly code = 'ERR_WARDEN_CIRCUIT_OPEN';
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_WARDEN_CIRCUIT_OPEN', message, options);
  }
}

/** True for a CircuitOpenError from any copy of Warden (matched by code). */
export function isCircuitOpenError(err: unknown): err is CircuitOpenError {
  return hasErrorCode(err, 'ERR_WARDEN_CIRCUIT_OPEN');
}
