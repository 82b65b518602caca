import { assign, emit, fromCallback, sendParent, sendTo, setup } from 'xstate';
import type { Backoff } from './backoff.js';
import { backoffDelay } from './backoff.js';
import type { CancelReason } from './deadLetterReason.js';
import type { AttemptOutcome, SerializedError, TaskAssignment, ThreadCommand, ThreadEvent } from './workerProtocol.js';

export interface WorkerInput {
  slot: number;
  taskMs: number;
  /** Optional: a task must call ctx.heartbeat() at least this often. */
  heartbeatMs?: number | undefined;
  /** Optional: the worker's event loop must answer a ping within this many ms while busy. */
  pingMs?: number | undefined;
  /** After a cooperative abort, how long before the thread is terminated. */
  killGraceMs: number;
  startTimeoutMs: number;
  /** How long to wait for a terminated thread to exit before reporting it stuck. */
  terminateTimeoutMs: number;
  /** Delay before restarting after failed starts (none after a clean replacement). */
  restartBackoff: Backoff;
}

export interface WorkerContext extends WorkerInput {
  task: TaskAssignment | undefined;
  /** When the current task must be done (clock time, from the engine's `at`). */
  deadlineAt: number;
  /** When the deadline timer was armed, and for how long: it fires at armedAt + armedDelay. */
  armedAt: number;
  armedDelay: number;
  /** Consecutive starts that failed (reset when a thread becomes ready). */
  startFailures: number;
  stopRequested: boolean;
  /** Incremented at each restart: a new thread each time. */
  generation: number;
}

export type WorkerEvent =
  /** Start a busy period with this task (`at`: the clock's now). */
  | { type: 'RUN'; task: TaskAssignment; at: number }
  /** The previous task settled: run this one next, staying busy (the per-task fast path). */
  | { type: 'NEXT'; task: TaskAssignment; at: number }
  /** The previous task settled and nothing is queued: go idle. */
  | { type: 'RELEASE' }
  /** Stop the task in flight from outside (chunk or batch stopping). */
  | { type: 'CANCEL'; reason: CancelReason }
  /** Shut the worker down for good; a task in flight is cancelled with `reason`. */
  | { type: 'STOP'; reason: CancelReason }
  | ThreadEvent;

export type WorkerSettled = { type: 'settled'; slot: number; task: TaskAssignment } & AttemptOutcome;

export type WorkerEmitted =
  | { type: 'idle'; slot: number }
  | WorkerSettled
  | { type: 'loadFailed'; slot: number; error: SerializedError }
  | { type: 'stuck'; slot: number }
  | { type: 'stopped'; slot: number };

/** Sent to the parent (the pool) each time this slot replaces its thread. */
export interface WorkerRestarted {
  type: 'RESTARTED';
  slot: number;
}

/** Input of the thread actor the machine invokes. */
export interface ThreadInput {
  slot: number;
  generation: number;
}

function settled(context: WorkerContext, outcome: AttemptOutcome): WorkerEmitted {
  return { type: 'settled', slot: context.slot, task: context.task as TaskAssignment, ...outcome };
}

/**
 * One worker slot: starting → idle ⇄ busy → aborting → terminating → restarting → …
 * The thread itself is the invoked `thread` actor (a worker_thread in production, a fake
 * in machine tests). Every wait is an `after` with its length from context: start
 * timeout, task deadline, heartbeat, ping, kill grace, terminate timeout, restart delay.
 */
export const workerMachine = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as WorkerEvent,
    input: {} as WorkerInput,
    emitted: {} as WorkerEmitted,
  },
  actors: {
    // Replaced with the real thread actor by the engine (`machine.provide`).
    thread: fromCallback<ThreadCommand, ThreadInput>(() => undefined),
  },
  delays: {
    startTimeout: ({ context }) => context.startTimeoutMs,
    deadlineCheck: ({ context }) => context.armedDelay,
    heartbeatTimeout: ({ context }) => context.heartbeatMs ?? context.taskMs,
    pingInterval: ({ context }) => context.pingMs ?? context.taskMs,
    pingTimeout: ({ context }) => context.pingMs ?? context.taskMs,
    killGrace: ({ context }) => context.killGraceMs,
    terminateTimeout: ({ context }) => context.terminateTimeoutMs,
    restartDelay: ({ context }) =>
      context.startFailures === 0 ? 0 : backoffDelay(context.restartBackoff, context.startFailures),
  },
  guards: {
    hasHeartbeat: ({ context }) => context.heartbeatMs !== undefined,
    hasPing: ({ context }) => context.pingMs !== undefined,
    hasTask: ({ context }) => context.task !== undefined,
    watched: ({ context }) => context.heartbeatMs !== undefined || context.pingMs !== undefined,
    sameTask: ({ context, event }) =>
      (event.type === 'RESULT_OK' || event.type === 'RESULT_ERR' || event.type === 'HEARTBEAT') &&
      context.task !== undefined &&
      event.seq === context.task.seq,
    stopRequested: ({ context }) => context.stopRequested,
    // The deadline timer fired at armedAt + armedDelay: is the current task past its deadline?
    overdue: ({ context }) => context.task !== undefined && context.armedAt + context.armedDelay >= context.deadlineAt,
  },
  actions: {
    startTask: assign(({ context, event }) => {
      const e = event as Extract<WorkerEvent, { type: 'RUN' | 'NEXT' }>;
      return { task: e.task, deadlineAt: e.at + context.taskMs };
    }),
    armFirst: assign(({ context, event }) => {
      const e = event as Extract<WorkerEvent, { type: 'RUN' }>;
      return { armedAt: e.at, armedDelay: context.taskMs };
    }),
    // Re-arm for what is left of the current task's budget (a later task than the one armed for).
    rearm: assign(({ context }) => {
      const now = context.armedAt + context.armedDelay;
      return { armedAt: now, armedDelay: Math.max(1, context.deadlineAt - now) };
    }),
    sendRun: sendTo('thread', ({ context }): ThreadCommand => ({ type: 'run', task: context.task as TaskAssignment })),
    countFailedStart: assign({ startFailures: ({ context }) => context.startFailures + 1 }),
    requestStop: assign({ stopRequested: true }),
    clearTask: assign({ task: undefined }),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    ...input,
    task: undefined,
    deadlineAt: 0,
    armedAt: 0,
    armedDelay: 0,
    startFailures: 0,
    stopRequested: false,
    generation: 0,
  }),
  initial: 'alive',
  states: {
    alive: {
      invoke: {
        id: 'thread',
        src: 'thread',
        input: ({ context }) => ({ slot: context.slot, generation: context.generation }),
      },
      initial: 'starting',
      states: {
        starting: {
          after: { startTimeout: { target: 'terminating', actions: 'countFailedStart' } },
          on: {
            READY: { target: 'idle', actions: assign({ startFailures: 0 }) },
            LOAD_FAILED: {
              target: 'terminating',
              actions: [
                'countFailedStart',
                emit(({ context, event }) => ({ type: 'loadFailed' as const, slot: context.slot, error: event.error })),
              ],
            },
            EXITED: { target: '#worker.restarting', actions: 'countFailedStart' },
            STOP: { target: 'terminating', actions: 'requestStop' },
          },
        },
        idle: {
          entry: [assign({ task: undefined }), emit(({ context }) => ({ type: 'idle' as const, slot: context.slot }))],
          on: {
            RUN: [
              { guard: 'watched', target: 'busy.watch.watched', actions: ['startTask', 'armFirst', 'sendRun'] },
              { target: 'busy', actions: ['startTask', 'armFirst', 'sendRun'] },
            ],
            EXITED: { target: '#worker.restarting' },
            STOP: { target: 'terminating', actions: 'requestStop' },
          },
        },
        // Busy for a run of tasks, one at a time. Tasks follow each other with NEXT, a
        // transition that changes no state: the per-task cost stays a few microseconds.
        // The deadline timer is not re-armed per task: when it fires it checks the task
        // now running and, if that one still has time, re-arms for what is left.
        busy: {
          type: 'parallel',
          on: {
            NEXT: { actions: ['startTask', 'sendRun'] },
            RELEASE: { target: 'idle' },
            RESULT_OK: {
              guard: 'sameTask',
              actions: [emit(({ context }) => settled(context, { outcome: 'ok' })), 'clearTask'],
            },
            RESULT_ERR: {
              guard: 'sameTask',
              actions: [
                emit(({ context, event }) => settled(context, { outcome: 'error', error: event.error })),
                'clearTask',
              ],
            },
            EXITED: {
              target: '#worker.restarting',
              actions: emit(({ context, event }) =>
                settled(context, { outcome: 'crash', code: event.code, error: event.error }),
              ),
            },
            CANCEL: {
              guard: 'hasTask',
              target: 'aborting',
              actions: emit(({ context, event }) => settled(context, { outcome: 'cancelled', reason: event.reason })),
            },
            STOP: [
              {
                guard: 'hasTask',
                target: 'aborting',
                actions: [
                  'requestStop',
                  emit(({ context, event }) => settled(context, { outcome: 'cancelled', reason: event.reason })),
                ],
              },
              // between two tasks: nothing to abort
              { target: 'terminating', actions: 'requestStop' },
            ],
          },
          states: {
            deadline: {
              initial: 'armed',
              states: {
                armed: {
                  after: {
                    deadlineCheck: [
                      {
                        guard: 'overdue',
                        target: '#worker.alive.aborting',
                        actions: emit(({ context }) => settled(context, { outcome: 'timeout', detail: 'deadline' })),
                      },
                      { target: 'armed', reenter: true, actions: 'rearm' },
                    ],
                  },
                },
              },
            },
            watch: {
              // Nothing but the deadline to watch: the default.
              initial: 'plain',
              states: {
                plain: {},
                // A heartbeat and/or a ping to watch as well, in parallel regions.
                watched: {
                  type: 'parallel',
                  states: {
                    heartbeat: {
                      initial: 'check',
                      states: {
                        check: { always: [{ guard: 'hasHeartbeat', target: 'watching' }, { target: 'off' }] },
                        watching: {
                          after: {
                            heartbeatTimeout: {
                              target: '#worker.alive.aborting',
                              actions: emit(({ context }) => settled(context, { outcome: 'timeout', detail: 'heartbeat' })),
                            },
                          },
                          on: {
                            HEARTBEAT: { guard: 'sameTask', target: 'watching', reenter: true },
                            // a new task gets a fresh heartbeat window
                            NEXT: { target: 'watching', reenter: true },
                          },
                        },
                        off: {},
                      },
                    },
                    ping: {
                      initial: 'check',
                      states: {
                        check: { always: [{ guard: 'hasPing', target: 'waiting' }, { target: 'off' }] },
                        waiting: { after: { pingInterval: { target: 'awaiting' } } },
                        awaiting: {
                          entry: sendTo('thread', { type: 'ping' } satisfies ThreadCommand),
                          on: { PONG: { target: 'waiting' } },
                          after: {
                            pingTimeout: {
                              target: '#worker.alive.aborting',
                              actions: emit(({ context }) => settled(context, { outcome: 'timeout', detail: 'ping' })),
                            },
                          },
                        },
                        off: {},
                      },
                    },
                  },
                },
              },
            },
          },
        },
        aborting: {
          entry: sendTo('thread', ({ context }): ThreadCommand => ({ type: 'abort', seq: context.task?.seq ?? -1 })),
          after: { killGrace: { target: 'terminating' } },
          on: {
            RESULT_OK: [
              { guard: 'stopRequested', target: 'terminating' },
              { guard: 'sameTask', target: 'idle' },
            ],
            RESULT_ERR: [
              { guard: 'stopRequested', target: 'terminating' },
              { guard: 'sameTask', target: 'idle' },
            ],
            EXITED: [{ guard: 'stopRequested', target: '#worker.stopped' }, { target: '#worker.restarting' }],
            STOP: { actions: 'requestStop' },
          },
        },
        terminating: {
          entry: sendTo('thread', { type: 'terminate' } satisfies ThreadCommand),
          after: {
            terminateTimeout: [
              {
                guard: 'stopRequested',
                target: '#worker.stopped',
                actions: emit(({ context }) => ({ type: 'stuck' as const, slot: context.slot })),
              },
              {
                target: '#worker.restarting',
                actions: emit(({ context }) => ({ type: 'stuck' as const, slot: context.slot })),
              },
            ],
          },
          on: {
            EXITED: [{ guard: 'stopRequested', target: '#worker.stopped' }, { target: '#worker.restarting' }],
            STOP: { actions: 'requestStop' },
          },
        },
      },
    },
    restarting: {
      entry: [
        assign({ task: undefined, generation: ({ context }) => context.generation + 1 }),
        sendParent(({ context }): WorkerRestarted => ({ type: 'RESTARTED', slot: context.slot })),
      ],
      after: { restartDelay: { target: 'alive' } },
      on: { STOP: { target: 'stopped', actions: 'requestStop' } },
    },
    stopped: {
      type: 'final',
      entry: emit(({ context }) => ({ type: 'stopped' as const, slot: context.slot })),
    },
  },
});
