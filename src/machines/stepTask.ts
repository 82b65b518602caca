import { backoffDelay } from './backoff.js';
import type { CancelReason, DeadLetterReason } from './deadLetterReason.js';
import type { AttemptFailure, TaskPolicy } from './taskPolicy.js';

/** The task machine's states, as a plain record field. */
export type TaskStatus = 'queued' | 'running' | 'retryWait' | 'succeeded' | 'deadLettered';

/** A task's state as plain data: what the engine keeps per task instead of an actor. */
export interface TaskState {
  status: TaskStatus;
  attempt: number;
  reason: DeadLetterReason | undefined;
  /** Set on entering retryWait: how long the backoff lasts. */
  retryDelayMs: number;
}

export type TaskStep =
  | { type: 'dispatch' }
  | { type: 'succeeded' }
  | { type: 'failed'; failure: AttemptFailure; retryable: boolean }
  | { type: 'retryDue' }
  | { type: 'cancel'; reason: CancelReason };

/** A fresh queued task. */
export function newTaskState(): TaskState {
  return { status: 'queued', attempt: 0, reason: undefined, retryDelayMs: 0 };
}

/**
 * The task machine's transitions applied in place to a plain record: the engine's hot
 * path. `failed` with `failure: 'timeout'` stands for the machine's deadline transition,
 * `retryDue` for its backoff transition. Returns false when the event does not apply in
 * the current status (the machine would ignore it too).
 */
export function stepTask(s: TaskState, e: TaskStep, policy: TaskPolicy): boolean {
  switch (s.status) {
    case 'queued':
      if (e.type === 'dispatch') {
        s.status = 'running';
        s.attempt += 1;
        return true;
      }
      return cancel(s, e);
    case 'running':
      if (e.type === 'succeeded') {
        s.status = 'succeeded';
        return true;
      }
      if (e.type === 'failed') {
        if (e.retryable && s.attempt < policy.attempts) {
          s.status = 'retryWait';
          s.retryDelayMs = backoffDelay(policy.backoff, s.attempt);
        } else {
          s.status = 'deadLettered';
          s.reason = e.failure;
        }
        return true;
      }
      return cancel(s, e);
    case 'retryWait':
      if (e.type === 'retryDue') {
        s.status = 'queued';
        return true;
      }
      return cancel(s, e);
    default:
      return false;
  }
}

function cancel(s: TaskState, e: TaskStep): boolean {
  if (e.type !== 'cancel') return false;
  s.status = 'deadLettered';
  s.reason = e.reason;
  return true;
}
