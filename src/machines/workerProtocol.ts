import type { CancelReason } from './deadLetterReason.js';

/** A task as handed to a worker slot: plain, structured-clonable data. */
export interface TaskAssignment {
  /** Engine-wide sequence number of this attempt (matches the reply). */
  seq: number;
  key: string;
  input: unknown;
  /** 1 for the first attempt. */
  attempt: number;
}

/** An error as it crosses threads and lands in a dead letter. */
export interface SerializedError {
  name: string;
  message: string;
  code?: string | number | undefined;
  stack?: string | undefined;
}

/** Commands from a worker slot machine to its thread actor. */
export type ThreadCommand =
  | { type: 'run'; task: TaskAssignment }
  | { type: 'abort'; seq: number }
  | { type: 'ping' }
  | { type: 'terminate' };

/** Events from a thread actor to its worker slot machine. */
export type ThreadEvent =
  | { type: 'READY' }
  | { type: 'LOAD_FAILED'; error: SerializedError }
  | { type: 'RESULT_OK'; seq: number }
  | { type: 'RESULT_ERR'; seq: number; error: SerializedError }
  | { type: 'HEARTBEAT'; seq: number }
  | { type: 'PONG' }
  | { type: 'EXITED'; code: number; error?: SerializedError | undefined };

/** How an attempt ended, as a worker slot reports it. */
export type AttemptOutcome =
  | { outcome: 'ok' }
  | { outcome: 'error'; error: SerializedError }
  | { outcome: 'timeout'; detail: 'deadline' | 'heartbeat' | 'ping' }
  | { outcome: 'crash'; error?: SerializedError | undefined; code: number }
  | { outcome: 'cancelled'; reason: CancelReason };
