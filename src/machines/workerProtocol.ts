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

/** One task's result as the thread reports it (no `error`: it succeeded). */
export interface TaskResult {
  seq: number;
  error?: SerializedError | undefined;
}

/** Commands from a worker slot machine to its thread actor. */
export type ThreadCommand =
  /** Queue these tasks in the thread; it runs them one at a time, in order. */
  | { type: 'run'; tasks: TaskAssignment[] }
  | { type: 'abort'; seq: number }
  | { type: 'ping' }
  | { type: 'terminate' };

/** Events from a thread actor to its worker slot machine. */
export type ThreadEvent =
  | { type: 'READY' }
  | { type: 'LOAD_FAILED'; error: SerializedError }
  /** Results in the order the thread finished them; `at`: the clock's now when they arrived. */
  | { type: 'RESULTS'; results: TaskResult[]; at: number }
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
