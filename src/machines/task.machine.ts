import { assign, setup } from 'xstate';
import { backoffDelay } from './backoff.js';
import type { CancelReason, DeadLetterReason } from './deadLetterReason.js';
import type { AttemptFailure, TaskPolicy } from './taskPolicy.js';

export interface TaskContext {
  policy: TaskPolicy;
  /** Attempts started so far. */
  attempt: number;
  /** Set once the task is dead-lettered. */
  reason: DeadLetterReason | undefined;
}

export type TaskEvent =
  | { type: 'DISPATCH' }
  | { type: 'SUCCEEDED' }
  | { type: 'FAILED'; failure: Exclude<AttemptFailure, 'timeout'>; retryable: boolean }
  | { type: 'CANCEL'; reason: CancelReason };

/**
 * The life of one task: queued → running → succeeded, or retried after a backoff, or
 * dead-lettered with a reason. The deadline and the backoff are `after` transitions.
 *
 * This machine is the specification. The batch engine does not run one actor per task
 * (too costly for a million tasks, see docs/architecture.md); it applies the same
 * transitions to plain records with `stepTask`, and a model-based test checks both agree.
 */
export const taskMachine = setup({
  types: {
    context: {} as TaskContext,
    events: {} as TaskEvent,
    input: {} as TaskPolicy,
  },
  delays: {
    deadline: ({ context }) => context.policy.taskMs,
    backoff: ({ context }) => backoffDelay(context.policy.backoff, context.attempt),
  },
  guards: {
    canRetry: ({ context }) => context.attempt < context.policy.attempts,
    retryableAndCanRetry: ({ context, event }) =>
      event.type === 'FAILED' && event.retryable && context.attempt < context.policy.attempts,
  },
}).createMachine({
  id: 'task',
  context: ({ input }) => ({ policy: input, attempt: 0, reason: undefined }),
  initial: 'queued',
  states: {
    queued: {
      on: {
        DISPATCH: { target: 'running', actions: assign({ attempt: ({ context }) => context.attempt + 1 }) },
        CANCEL: { target: 'deadLettered', actions: assign({ reason: ({ event }) => event.reason }) },
      },
    },
    running: {
      after: {
        deadline: [
          { guard: 'canRetry', target: 'retryWait' },
          { target: 'deadLettered', actions: assign({ reason: 'timeout' as const }) },
        ],
      },
      on: {
        SUCCEEDED: { target: 'succeeded' },
        FAILED: [
          { guard: 'retryableAndCanRetry', target: 'retryWait' },
          { target: 'deadLettered', actions: assign({ reason: ({ event }) => event.failure }) },
        ],
        CANCEL: { target: 'deadLettered', actions: assign({ reason: ({ event }) => event.reason }) },
      },
    },
    retryWait: {
      after: { backoff: { target: 'queued' } },
      on: {
        CANCEL: { target: 'deadLettered', actions: assign({ reason: ({ event }) => event.reason }) },
      },
    },
    succeeded: { type: 'final' },
    deadLettered: { type: 'final' },
  },
});
