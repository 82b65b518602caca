import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { newTaskState, stepTask, type TaskStep } from '../../src/machines/stepTask.js';
import { taskMachine, type TaskEvent } from '../../src/machines/task.machine.js';
import type { TaskPolicy } from '../../src/machines/taskPolicy.js';
import type { CancelReason } from '../../src/machines/deadLetterReason.js';

// task.machine.test.ts replays one path per transition (shortest paths) with two policies
// and a few event variants. This one checks the fast path (stepTask) against the machine
// side by side on random sequences of every step the engine can apply — every failure
// kind × retryable, every cancel reason, deadline and backoff — under random policies:
// after each step both agree on status, attempt, reason and the backoff, and a step the
// machine would ignore is refused by stepTask and changes nothing.

const CANCEL_REASONS: CancelReason[] = ['circuit-open', 'chunk-timeout', 'batch-timeout', 'job-timeout', 'aborted'];

/** A step of the engine; `deadline` and `backoff` are the machine's timers (time passes), for
 * the fast path's `failed/timeout` and `retryDue`. */
type Step = TaskStep | { type: 'deadline' } | { type: 'backoff' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ type: 'dispatch' }),
  fc.constant<Step>({ type: 'succeeded' }),
  fc.record({ failure: fc.constantFrom('error' as const, 'crash' as const), retryable: fc.boolean() }).map((f): Step => ({ type: 'failed', ...f })),
  fc.constantFrom(...CANCEL_REASONS).map((reason): Step => ({ type: 'cancel', reason })),
  fc.constant<Step>({ type: 'deadline' }),
  fc.constant<Step>({ type: 'backoff' }),
);

const policyArb: fc.Arbitrary<TaskPolicy> = fc.record({
  taskMs: fc.integer({ min: 1, max: 1000 }),
  attempts: fc.integer({ min: 1, max: 5 }),
  backoff: fc
    .record({ initialMs: fc.integer({ min: 0, max: 500 }), factor: fc.constantFrom(1, 1.5, 2, 3), maxMs: fc.integer({ min: 0, max: 2000 }) })
    .map((b) => ({ ...b, maxMs: Math.max(b.maxMs, b.initialMs) })),
});

/** The machine event a fast-path step stands for (timers have none: time passes instead). */
function machineEvent(s: Step): TaskEvent | undefined {
  switch (s.type) {
    case 'dispatch':
      return { type: 'DISPATCH' };
    case 'succeeded':
      return { type: 'SUCCEEDED' };
    case 'failed':
      return s.failure === 'timeout' ? undefined : { type: 'FAILED', failure: s.failure, retryable: s.retryable };
    case 'cancel':
      return { type: 'CANCEL', reason: s.reason };
    default:
      return undefined;
  }
}

describe('stepTask and the task machine, side by side (property)', () => {
  it('agree after every step of 3,000 random step sequences, every step kind and policy', () => {
    fc.assert(
      fc.property(policyArb, fc.array(stepArb, { maxLength: 24 }), (policy, steps) => {
        const clock = new SimulatedClock();
        const actor = createActor(taskMachine, { clock, input: policy }).start();
        const record = newTaskState();
        let armedDelay = 0; // the backoff the machine armed (retryWait), or the deadline (running)
        for (const [i, step] of steps.entries()) {
          const before = actor.getSnapshot();
          const where = `step ${i} (${JSON.stringify(step)}) in ${String(before.value)}`;
          const copy = { ...record };
          if (step.type === 'deadline' || step.type === 'backoff') {
            // the timer fires: it must be the one the state has, after exactly its delay
            const state = step.type === 'deadline' ? 'running' : 'retryWait';
            const applies = before.status === 'active' && before.value === state;
            const fastStep: TaskStep = step.type === 'deadline' ? { type: 'failed', failure: 'timeout', retryable: true } : { type: 'retryDue' };
            expect(stepTask(record, fastStep, policy), where).toBe(applies);
            if (!applies) {
              expect(record, where).toEqual(copy);
              continue;
            }
            const delay = state === 'running' ? policy.taskMs : armedDelay;
            if (delay > 0) {
              clock.increment(delay - 1);
              expect(actor.getSnapshot().value, `${where}: 1 ms early`).toBe(state);
            }
            clock.increment(delay > 0 ? 1 : 0);
          } else {
            const event = machineEvent(step);
            const can = event !== undefined && before.status === 'active' && before.can(event);
            expect(stepTask(record, step, policy), where).toBe(can);
            if (!can) {
              expect(record, where).toEqual(copy);
              continue;
            }
            actor.send(event);
          }
          const snap = actor.getSnapshot();
          expect({ status: record.status, attempt: record.attempt, reason: record.reason }, where).toEqual({
            status: snap.value,
            attempt: snap.context.attempt,
            reason: snap.context.reason,
          });
          if (record.status === 'retryWait') armedDelay = record.retryDelayMs;
        }
        actor.stop();
      }),
      { seed: 7, numRuns: 3000 },
    );
  });
});
