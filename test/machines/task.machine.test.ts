import { describe, expect } from 'vitest';
import { createActor, type EventObject } from 'xstate';
import { newTaskState, stepTask, type TaskState, type TaskStep } from '../../src/machines/stepTask.js';
import { taskMachine, type TaskContext, type TaskEvent } from '../../src/machines/task.machine.js';
import type { TaskPolicy } from '../../src/machines/taskPolicy.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const DEADLINE = 'xstate.after.deadline.task.running';
const BACKOFF = 'xstate.after.backoff.task.retryWait';

const events: TaskEvent[] = [
  { type: 'DISPATCH' },
  { type: 'SUCCEEDED' },
  { type: 'FAILED', failure: 'error', retryable: true },
  { type: 'FAILED', failure: 'crash', retryable: false },
  { type: 'CANCEL', reason: 'circuit-open' },
];

/** The fast-path step that stands for an ordinary machine event. */
function eventToStep(e: TaskEvent): TaskStep {
  switch (e.type) {
    case 'DISPATCH':
      return { type: 'dispatch' };
    case 'SUCCEEDED':
      return { type: 'succeeded' };
    case 'FAILED':
      return { type: 'failed', failure: e.failure, retryable: e.retryable };
    case 'CANCEL':
      return { type: 'cancel', reason: e.reason };
  }
}

/** The fast-path step that stands for a model step (the delayed ones included). */
function toTaskStep(step: StepInfo): TaskStep {
  const fired = step.fired?.event.type;
  if (fired === DEADLINE) return { type: 'failed', failure: 'timeout', retryable: true };
  if (fired === BACKOFF) return { type: 'retryDue' };
  return eventToStep(step.event as TaskEvent);
}

/** Every fast-path step, with the machine event it stands for. */
const allSteps: Array<[TaskStep, EventObject]> = [
  ...events.map((e): [TaskStep, EventObject] => [eventToStep(e), e]),
  [{ type: 'failed', failure: 'timeout', retryable: true }, { type: DEADLINE }],
  [{ type: 'retryDue' }, { type: BACKOFF }],
];

function spec(name: string, policy: TaskPolicy): ModelSpec<TaskContext> {
  /** Backoff before retry n, by hand: initialMs · factor^(n−1), capped. */
  const backoffMs = (attempt: number): number =>
    Math.min(policy.backoff.maxMs, policy.backoff.initialMs * policy.backoff.factor ** (attempt - 1));
  return {
    name,
    machine: taskMachine,
    input: policy,
    events,
    observe: (c) => ({ attempt: c.attempt, reason: c.reason }),
    expectedDelay: (type, c) => {
      if (type === DEADLINE) return policy.taskMs;
      if (type === BACKOFF) return backoffMs(c.attempt);
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted: () => [],
    createSut: (clock, inspect) => {
      const actor = createActor(taskMachine, { clock, input: policy, inspect }).start();
      const record: TaskState = newTaskState();
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const where = `step ${step.index} (${step.event.type})`;
          const snap = step.after.snap;
          // The reducer takes the same step and lands on the same status/attempt/reason.
          expect(stepTask(record, toTaskStep(step), policy), `${where}: stepTask applies`).toBe(true);
          expect(
            { status: record.status, attempt: record.attempt, reason: record.reason },
            `${where}: stepTask record`,
          ).toEqual({ status: snap.value, attempt: snap.context.attempt, reason: snap.context.reason });
          if (record.status === 'retryWait') {
            const backoff = step.after.timers.find((t) => t.event.type === BACKOFF);
            expect(backoff, `${where}: backoff armed`).toBeDefined();
            expect(record.retryDelayMs, `${where}: retryDelayMs`).toBe(backoff!.delay);
            expect(record.retryDelayMs).toBe(backoffMs(record.attempt));
          }
          // Where the machine would ignore a step, the reducer refuses it and changes nothing.
          for (const [taskStep, machineEvent] of allSteps) {
            const copy = { ...record };
            const enabled = snap.status === 'active' && snap.can(machineEvent);
            expect(stepTask(copy, taskStep, policy), `${where}: stepTask(${taskStep.type}) in ${record.status}`).toBe(enabled);
            if (!enabled) expect(copy).toEqual(record);
          }
        },
      };
    },
  };
}

describe('task machine (model-based, with the stepTask fast path)', () => {
  modelSuite(
    taskMachine,
    [
      spec('three attempts, capped backoff', { taskMs: 100, attempts: 3, backoff: { initialMs: 10, factor: 3, maxMs: 25 } }),
      spec('a single attempt', { taskMs: 40, attempts: 1, backoff: { initialMs: 10, factor: 2, maxMs: 1000 } }),
    ],
    { transitions: 10, minPaths: 5 },
  );
});
