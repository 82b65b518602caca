import { describe, expect } from 'vitest';
import {
  createActor,
  fromCallback,
  setup,
  type AnyEventObject,
  type AnyMachineSnapshot,
  type EventObject,
} from 'xstate';
import {
  workerMachine,
  type ThreadInput,
  type WorkerContext,
  type WorkerEvent,
  type WorkerInput,
  type WorkerRestarted,
} from '../../src/machines/worker.machine.js';
import type { AttemptOutcome, SerializedError, TaskAssignment, ThreadCommand } from '../../src/machines/workerProtocol.js';
import type { ModelSpec, ModelState, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const error: SerializedError = { name: 'Error', message: 'boom' };
const t7: TaskAssignment = { seq: 7, key: 'k-7', input: { n: 7 }, attempt: 1 };
const t8: TaskAssignment = { seq: 8, key: 'k-8', input: { n: 8 }, attempt: 1 };
const t9: TaskAssignment = { seq: 9, key: 'k-9', input: { n: 9 }, attempt: 2 };

/** The events a slot receives; `at` (the clock's now) is stamped when the event is sent. */
const allEvents: WorkerEvent[] = [
  { type: 'READY' },
  { type: 'LOAD_FAILED', error },
  { type: 'RUN', tasks: [t7, t8], at: 0 },
  { type: 'NEXT', tasks: [t9], at: 0 },
  { type: 'RELEASE' },
  { type: 'RESULTS', results: [{ seq: 7 }], at: 0 },
  { type: 'RESULTS', results: [{ seq: 8, error }], at: 0 }, // the waiting task, out of order
  { type: 'RESULTS', results: [{ seq: 7 }, { seq: 8 }], at: 0 },
  { type: 'RESULTS', results: [{ seq: 9 }], at: 0 },
  { type: 'RESULTS', results: [{ seq: 6 }], at: 0 }, // late: no such task, ignored
  { type: 'HEARTBEAT', seq: 7 },
  { type: 'HEARTBEAT', seq: 8 },
  { type: 'PONG' },
  { type: 'EXITED', code: 1, error },
  { type: 'CANCEL', reason: 'chunk-timeout' },
  { type: 'STOP', reason: 'aborted' },
];

/** Fewer events where heartbeat and ping are watched (their timers multiply the states). */
const watchedEvents: WorkerEvent[] = [
  { type: 'READY' },
  { type: 'RUN', tasks: [t7, t8], at: 0 },
  { type: 'NEXT', tasks: [t9], at: 0 },
  { type: 'RESULTS', results: [{ seq: 7 }], at: 0 },
  { type: 'RESULTS', results: [{ seq: 8 }], at: 0 },
  { type: 'RESULTS', results: [{ seq: 9 }], at: 0 },
  { type: 'HEARTBEAT', seq: 7 },
  { type: 'HEARTBEAT', seq: 8 },
  { type: 'HEARTBEAT', seq: 9 },
  { type: 'PONG' },
  { type: 'STOP', reason: 'aborted' },
];

const stamp = (e: EventObject, sentAt: number): EventObject => ('at' in e ? ({ ...e, at: sentAt } as EventObject) : e);

/** `xstate.after.<delay>.<state>` → `<delay>`. */
const delayKey = (type: string): string | undefined => /^xstate\.after\.(\w+)\./.exec(type)?.[1];

/** What a step is: the delay key of the timer it fired, or the event type. */
const stepKind = (step: StepInfo): string => delayKey(step.fired?.event.type ?? '') ?? step.event.type;

const ctx = (s: AnyMachineSnapshot): WorkerContext => s.context as WorkerContext;
/** Whether a state node with this key (`busy`, `awaiting`, …) is active, wherever it is nested. */
const isIn = (s: AnyMachineSnapshot, key: string): boolean => s._nodes.some((n) => n.key === key);
const entered = (step: StepInfo, key: string): boolean => isIn(step.after.snap, key) && !isIn(step.before.snap, key);

/** Busy with every task settled: the engine answers `drained` at once (NEXT or RELEASE). */
const drained = (s: ModelState): boolean => isIn(s.snap, 'busy') && ctx(s.snap).tasks.length === 0;

/** busy + RESULTS, by hand: the tasks left, and one `finished` for the tasks the results settle (none if late). */
function settle(tasks: TaskAssignment[], e: WorkerEvent & { type: 'RESULTS' }, slot: number) {
  const done = tasks.flatMap((task) => e.results.filter((r) => r.seq === task.seq).map((r) => ({ task, error: r.error })));
  const left = tasks.filter((t) => !e.results.some((r) => r.seq === t.seq));
  const out: AnyEventObject[] = done.length > 0 ? [{ type: 'finished', slot, results: done, drained: left.length === 0 }] : [];
  return { left, out };
}

function expectedEmitted(step: StepInfo, slot: number): AnyEventObject[] {
  const before = step.before.snap;
  const { tasks, deadlineAt } = ctx(before);
  const e = step.event as WorkerEvent;
  const kind = stepKind(step);
  const out: AnyEventObject[] = [];
  // Ending the running task settles it; the tasks waiting behind it go back to the engine.
  const endRunning = (outcome: AttemptOutcome): void => {
    const [head, ...rest] = tasks;
    if (head) out.push({ type: 'settled', slot, task: head, ...outcome });
    if (rest.length > 0) out.push({ type: 'returned', slot, tasks: rest });
  };
  if (isIn(before, 'starting') && e.type === 'LOAD_FAILED') out.push({ type: 'loadFailed', slot, error: e.error });
  if (isIn(before, 'busy')) {
    // The lazy deadline check times the running task out only once its own deadline has passed.
    if (kind === 'deadlineCheck' && tasks.length > 0 && step.after.now >= deadlineAt) endRunning({ outcome: 'timeout', detail: 'deadline' });
    if (kind === 'heartbeatTimeout') endRunning({ outcome: 'timeout', detail: 'heartbeat' });
    if (kind === 'pingTimeout') endRunning({ outcome: 'timeout', detail: 'ping' });
    if (e.type === 'EXITED') endRunning({ outcome: 'crash', code: e.code, error: e.error });
    if ((e.type === 'CANCEL' || e.type === 'STOP') && tasks.length > 0) endRunning({ outcome: 'cancelled', reason: e.reason });
    if (e.type === 'RESULTS') out.push(...settle(tasks, e, slot).out);
  }
  if (kind === 'terminateTimeout') out.push({ type: 'stuck', slot });
  if (entered(step, 'idle')) out.push({ type: 'idle', slot });
  if (entered(step, 'stopped')) out.push({ type: 'stopped', slot });
  return out;
}

type ThreadLog = { generation: number; command: ThreadCommand } | { generation: number; started: true } | { generation: number; stopped: true };

/** What the thread actor(s) must see during a step: commands, then stop, then a new start. */
function expectedThreadLog(step: StepInfo): ThreadLog[] {
  const before = step.before.snap;
  const after = step.after.snap;
  const g0 = ctx(before).generation;
  const g1 = ctx(after).generation;
  const e = step.event as WorkerEvent;
  const out: ThreadLog[] = [];
  if (e.type === 'RUN' || e.type === 'NEXT') out.push({ generation: g0, command: { type: 'run', tasks: e.tasks } });
  if (entered(step, 'awaiting')) out.push({ generation: g0, command: { type: 'ping' } });
  if (entered(step, 'aborting')) out.push({ generation: g0, command: { type: 'abort', seq: ctx(before).tasks[0]?.seq ?? -1 } });
  if (entered(step, 'terminating')) out.push({ generation: g0, command: { type: 'terminate' } });
  if (isIn(before, 'alive') && (!isIn(after, 'alive') || g1 !== g0)) out.push({ generation: g0, stopped: true });
  if (isIn(after, 'alive') && (!isIn(before, 'alive') || g1 !== g0)) out.push({ generation: g1, started: true });
  return out;
}

/** Tasks and deadline after a hand-over or results, by hand (undefined: not such a step). */
function expectedTasks(step: StepInfo, now: number, taskMs: number): Pick<WorkerContext, 'tasks' | 'deadlineAt'> | undefined {
  const { tasks, deadlineAt } = ctx(step.before.snap);
  const e = step.event as WorkerEvent;
  if (e.type === 'RUN') return { tasks: e.tasks, deadlineAt: now + taskMs };
  if (e.type === 'NEXT') return { tasks: [...tasks, ...e.tasks], deadlineAt: now + taskMs };
  if (e.type === 'RESULTS' && isIn(step.before.snap, 'busy')) {
    const { left } = settle(tasks, e, 0);
    // A new running task (or none) gets its own budget from now.
    return { tasks: left, deadlineAt: left[0]?.seq !== tasks[0]?.seq ? now + taskMs : deadlineAt };
  }
  return undefined;
}

function spec(name: string, input: WorkerInput, events: WorkerEvent[], resultsGapMs = 0): ModelSpec<WorkerContext> {
  const { restartBackoff: b } = input;
  const delays: Record<string, (c: WorkerContext, at: number) => number | undefined> = {
    startTimeout: () => input.startTimeoutMs,
    // One timer for a run of tasks: it fires at the running task's deadline (at least 1 ms on).
    deadlineCheck: (c, at) => Math.max(1, c.deadlineAt - at),
    heartbeatTimeout: () => input.heartbeatMs,
    pingInterval: () => input.pingMs,
    pingTimeout: () => input.pingMs,
    killGrace: () => input.killGraceMs,
    terminateTimeout: () => input.terminateTimeoutMs,
    // None after a clean replacement; after n failed starts, initial·factor^(n−1), capped.
    restartDelay: (c) => (c.startFailures === 0 ? 0 : Math.min(b.maxMs, b.initialMs * b.factor ** (c.startFailures - 1))),
  };
  return {
    name,
    machine: workerMachine,
    input,
    events,
    stamp,
    gapMs: (e) => (e.type === 'RESULTS' ? resultsGapMs : 0),
    // The engine's side: NEXT only answers `finished … drained`, and it answers at once
    // (no time passes while the slot is drained).
    allow: (e, state) => {
      if (e.type === 'NEXT') return drained(state);
      if (e.type.startsWith('xstate.after.')) return !drained(state);
      return true;
    },
    observe: (c) => ({
      tasks: c.tasks,
      deadlineAt: c.deadlineAt,
      startFailures: c.startFailures,
      stopRequested: c.stopRequested,
      generation: c.generation,
    }),
    // Generations only count up, clock times only grow, failed starts stop mattering
    // once the backoff is capped: keep what decides the future, relative to now.
    abstract: (c, now) => ({
      tasks: c.tasks.map((t) => t.seq),
      deadlineIn: c.tasks.length > 0 ? c.deadlineAt - now : undefined,
      startFailures: Math.min(c.startFailures, 3),
      stopRequested: c.stopRequested,
    }),
    expectedDelay: (type, c, at) => {
      const ms = delays[delayKey(type) ?? '']?.(c, at);
      if (ms === undefined) throw new Error(`unexpected timer ${type}`);
      return ms;
    },
    expectedEmitted: (step) => expectedEmitted(step, input.slot),
    createSut: (clock, inspect) => {
      const log: ThreadLog[] = [];
      const restarts: WorkerRestarted[] = [];
      const thread = fromCallback<ThreadCommand, ThreadInput>(({ input: { generation }, receive }) => {
        log.push({ generation, started: true });
        receive((command) => log.push({ generation, command }));
        return () => log.push({ generation, stopped: true });
      });
      // The worker talks to its parent (sendParent RESTARTED): run it under a harness.
      const harness = setup({
        types: { events: {} as WorkerRestarted },
        actors: { worker: workerMachine.provide({ actors: { thread } }) },
      }).createMachine({
        invoke: { id: 'worker', src: 'worker', input },
        on: { RESTARTED: { actions: ({ event }) => restarts.push(event) } },
      });
      const root = createActor(harness, { clock, inspect }).start();
      const worker = root.getSnapshot().children.worker!;
      expect(log.splice(0)).toEqual([{ generation: 0, started: true }]);
      return {
        root,
        target: worker,
        afterStep: (step, parts) => {
          const where = `step ${step.index} (${stepKind(step)})`;
          expect(log.splice(0), `${where}: thread commands`).toEqual(parts.flatMap(expectedThreadLog));
          const restartsExpected = ctx(step.after.snap).generation - ctx(step.before.snap).generation;
          expect(restarts.splice(0), `${where}: RESTARTED to the parent`).toEqual(
            Array.from({ length: restartsExpected }, () => ({ type: 'RESTARTED', slot: input.slot })),
          );
          const tasks = step.fired ? undefined : expectedTasks(step, clock.now(), input.taskMs);
          if (tasks) {
            const { tasks: real, deadlineAt } = ctx(worker.getSnapshot() as AnyMachineSnapshot);
            expect({ tasks: real, deadlineAt }, `${where}: tasks and deadline`).toEqual(tasks);
            // A task that starts running behind another gets a fresh heartbeat window.
            const before = ctx(step.before.snap).tasks[0]?.seq;
            if (input.heartbeatMs !== undefined && isIn(step.before.snap, 'busy') && tasks.tasks.length > 0 && tasks.tasks[0]!.seq !== before) {
              const heartbeat = step.after.timers.find((t) => delayKey(t.event.type) === 'heartbeatTimeout');
              expect(heartbeat?.dueAt, `${where}: fresh heartbeat window`).toBe(clock.now() + input.heartbeatMs);
            }
          }
        },
      };
    },
  };
}

const base = {
  killGraceMs: 50,
  startTimeoutMs: 200,
  terminateTimeoutMs: 80,
  restartBackoff: { initialMs: 10, factor: 2, maxMs: 40 },
};

describe('worker machine (model-based, fake thread)', () => {
  modelSuite(
    workerMachine,
    [
      // Delays on a 100 ms grid keep the timed model small (and make timers fall due together).
      spec('heartbeat and ping watched', { ...base, slot: 0, taskMs: 1000, heartbeatMs: 300, pingMs: 200 }, watchedEvents),
      spec('heartbeat only', { ...base, slot: 1, taskMs: 1000, heartbeatMs: 300 }, watchedEvents),
      spec('ping only', { ...base, slot: 2, taskMs: 1000, pingMs: 200 }, watchedEvents),
      // Nothing but the deadline: results come 30 ms after the previous step, so the one
      // deadline timer has to re-arm for the task that runs next.
      spec('neither (plain busy), results 30 ms later', { ...base, slot: 3, taskMs: 100 }, allEvents, 30),
    ],
    { transitions: 42, minPaths: 100 },
  );

});
