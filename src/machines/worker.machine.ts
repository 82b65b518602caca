import { and, assign, emit, enqueueActions, fromCallback, not, sendParent, sendTo, setup } from 'xstate';
import type { Backoff } from './backoff.js';
import { backoffDelay } from './backoff.js';
import type { CancelReason } from './deadLetterReason.js';
import type { AttemptOutcome, SerializedError, TaskAssignment, TaskResult, ThreadCommand, ThreadEvent } from './workerProtocol.js';

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
  /** Tasks handed to the thread, in order: the first is running, the others wait in the thread. */
  tasks: TaskAssignment[];
  /** When the running task must be done (clock time, from the events' `at`). */
  deadlineAt: number;
  /** When the deadline timer was armed, and for how long: it fires at armedAt + armedDelay. */
  armedAt: number;
  armedDelay: number;
  /** Consecutive starts that failed (reset when a thread becomes ready). */
  startFailures: number;
  stopRequested: boolean;
  /** The running task was ended with tasks waiting behind it, handed back to the engine: the
   * thread may have started one of them before it got the abort, so it is not known to be free. */
  handedBack: boolean;
  /** Incremented at each restart: a new thread each time. */
  generation: number;
}

export type WorkerEvent =
  /** Start a busy period with these tasks (`at`: the clock's now). */
  | { type: 'RUN'; tasks: TaskAssignment[]; at: number }
  /** The thread ran out of tasks (`drained`): here are more, staying busy. */
  | { type: 'NEXT'; tasks: TaskAssignment[]; at: number }
  /** The thread ran out of tasks and nothing is queued: go idle. */
  | { type: 'RELEASE' }
  /** Stop the running task from outside (chunk or batch stopping). */
  | { type: 'CANCEL'; reason: CancelReason }
  /** Shut the worker down for good; a running task is cancelled with `reason`. */
  | { type: 'STOP'; reason: CancelReason }
  /** Raised internally when another task starts running (resets the heartbeat window). */
  | { type: 'NEW_RUNNING' }
  | ThreadEvent;

/** The supervisor ended the running task (timeout, crash, cancel). */
export type WorkerSettled = { type: 'settled'; slot: number; task: TaskAssignment } & AttemptOutcome;

/** Tasks that finished in their thread (no `error`: succeeded), in order. With `drained`,
 * every task handed over has settled and the engine answers NEXT or RELEASE. */
export interface WorkerFinished {
  type: 'finished';
  slot: number;
  results: Array<{ task: TaskAssignment; error?: SerializedError | undefined }>;
  drained: boolean;
}

export type WorkerEmitted =
  | { type: 'idle'; slot: number }
  | WorkerSettled
  /** Tasks that were waiting in the thread and never started: they go back to the engine. */
  | { type: 'returned'; slot: number; tasks: TaskAssignment[] }
  | WorkerFinished
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

/**
 * One worker slot: starting → idle ⇄ busy → aborting → terminating → restarting → …
 * The thread itself is the invoked `thread` actor (a worker_thread in production, a fake
 * in machine tests). Every wait is an `after` with its length from context: start
 * timeout, task deadline, heartbeat, ping, kill grace, terminate timeout, restart delay.
 *
 * Tiny tasks are handed over several at a time and their results come back in groups,
 * so a busy period costs a few events for many tasks. The deadline timer is not
 * re-armed per task: when it fires it checks the task running now and, if that one
 * still has time, re-arms for what is left of its budget.
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
    watched: ({ context }) => context.heartbeatMs !== undefined || context.pingMs !== undefined,
    hasTask: ({ context }) => context.tasks.length > 0,
    heartbeatOfRunning: ({ context, event }) => event.type === 'HEARTBEAT' && context.tasks[0]?.seq === event.seq,
    runningSettled: ({ context, event }) =>
      event.type === 'RESULTS' && event.results.some((r) => r.seq === context.tasks[0]?.seq),
    stopRequested: ({ context }) => context.stopRequested,
    handedBack: ({ context }) => context.handedBack,
    // The deadline timer fired at armedAt + armedDelay: is the running task past its deadline?
    overdue: ({ context }) => context.tasks.length > 0 && context.armedAt + context.armedDelay >= context.deadlineAt,
  },
  actions: {
    // Settles the running task with `params` and hands back the tasks waiting behind it.
    endRunning: enqueueActions(({ context, enqueue }, params: AttemptOutcome) => {
      const [head, ...rest] = context.tasks;
      if (head) enqueue.emit({ type: 'settled', slot: context.slot, task: head, ...params });
      if (rest.length > 0) enqueue.emit({ type: 'returned', slot: context.slot, tasks: rest });
      enqueue.assign({ tasks: head ? [head] : [], handedBack: rest.length > 0 });
    }),
    countFailedStart: assign({ startFailures: ({ context }) => context.startFailures + 1 }),
    requestStop: assign({ stopRequested: true }),
    handOver: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<WorkerEvent, { type: 'RUN' | 'NEXT' }>;
      // the running task keeps its deadline; a hand-over to an empty thread starts a new one
      const deadlineAt = context.tasks.length === 0 ? e.at + context.taskMs : context.deadlineAt;
      enqueue.assign({ tasks: [...context.tasks, ...e.tasks], deadlineAt });
      enqueue.sendTo('thread', { type: 'run', tasks: e.tasks } satisfies ThreadCommand);
      if (e.type === 'NEXT' && context.heartbeatMs !== undefined) enqueue.raise({ type: 'NEW_RUNNING' });
    }),
    armFirst: assign(({ context, event }) => {
      const e = event as Extract<WorkerEvent, { type: 'RUN' }>;
      return { armedAt: e.at, armedDelay: context.taskMs };
    }),
    // Re-arm for what is left of the running task's budget (a later task than the one armed for).
    rearm: assign(({ context }) => {
      const now = context.armedAt + context.armedDelay;
      // nothing running (between a drain and the engine's answer): check again a budget later
      const armedDelay = context.tasks.length === 0 ? context.taskMs : Math.max(1, context.deadlineAt - now);
      return { armedAt: now, armedDelay };
    }),
    // Each result settles its task (in the thread's order; a task whose input could not be
    // sent settles out of order). When the running task settles, the next one starts.
    // One `finished` event carries the whole group: no per-task event on the hot path.
    settleResults: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Extract<WorkerEvent, { type: 'RESULTS' }>;
      const bySeq = new Map<number, TaskResult>();
      for (const r of e.results) bySeq.set(r.seq, r);
      const done: Array<{ task: TaskAssignment; error?: SerializedError | undefined }> = [];
      const tasks: TaskAssignment[] = [];
      for (const t of context.tasks) {
        const r = bySeq.get(t.seq);
        if (r) done.push({ task: t, error: r.error });
        else tasks.push(t);
      }
      if (done.length === 0) return; // late results of tasks already ended
      const headChanged = tasks[0]?.seq !== context.tasks[0]?.seq;
      enqueue.assign(headChanged ? { tasks, deadlineAt: e.at + context.taskMs } : { tasks });
      enqueue.emit({ type: 'finished', slot: context.slot, results: done, drained: tasks.length === 0 });
      if (headChanged && tasks.length > 0 && context.heartbeatMs !== undefined) enqueue.raise({ type: 'NEW_RUNNING' });
    }),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    ...input,
    tasks: [],
    deadlineAt: 0,
    armedAt: 0,
    armedDelay: 0,
    startFailures: 0,
    stopRequested: false,
    handedBack: false,
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
          entry: [assign({ tasks: [] }), emit(({ context }) => ({ type: 'idle' as const, slot: context.slot }))],
          on: {
            RUN: [
              { guard: 'watched', target: 'busy.watch.watched', actions: ['handOver', 'armFirst'] },
              { target: 'busy', actions: ['handOver', 'armFirst'] },
            ],
            EXITED: { target: '#worker.restarting' },
            STOP: { target: 'terminating', actions: 'requestStop' },
          },
        },
        busy: {
          type: 'parallel',
          on: {
            RESULTS: { actions: 'settleResults' },
            NEXT: { actions: 'handOver' },
            RELEASE: { guard: ({ context }) => context.tasks.length === 0, target: 'idle' },
            EXITED: {
              target: '#worker.restarting',
              actions: {
                type: 'endRunning',
                params: ({ event }) => ({ outcome: 'crash', code: event.code, error: event.error }),
              },
            },
            CANCEL: {
              guard: 'hasTask',
              target: 'aborting',
              actions: { type: 'endRunning', params: ({ event }) => ({ outcome: 'cancelled', reason: event.reason }) },
            },
            STOP: [
              {
                guard: 'hasTask',
                target: 'aborting',
                actions: [
                  'requestStop',
                  { type: 'endRunning', params: ({ event }) => ({ outcome: 'cancelled', reason: event.reason }) },
                ],
              },
              // between two hand-overs: nothing to abort
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
                        actions: { type: 'endRunning', params: { outcome: 'timeout', detail: 'deadline' } },
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
                              actions: { type: 'endRunning', params: { outcome: 'timeout', detail: 'heartbeat' } },
                            },
                          },
                          on: {
                            HEARTBEAT: { guard: 'heartbeatOfRunning', target: 'watching', reenter: true },
                            // a task that starts gets a fresh heartbeat window
                            NEW_RUNNING: { target: 'watching', reenter: true },
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
                              actions: { type: 'endRunning', params: { outcome: 'timeout', detail: 'ping' } },
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
        // The running task has been settled (timeout or cancel); its thread is asked to
        // abort it (and to drop what waits behind it), then terminated after the grace.
        aborting: {
          entry: sendTo('thread', ({ context }): ThreadCommand => ({ type: 'abort', seq: context.tasks[0]?.seq ?? -1 })),
          after: { killGrace: { target: 'terminating' } },
          on: {
            RESULTS: [
              { guard: 'stopRequested', target: 'terminating' },
              // the task honoured its signal: the thread is healthy, no kill needed...
              { guard: and(['runningSettled', not('handedBack')]), target: 'idle' },
              // ...unless tasks were handed back: the thread may have run on into one of them
              // (it finished just as the abort was sent), which nobody would wait for then
              { guard: 'runningSettled', target: 'terminating' },
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
        assign({ tasks: [], generation: ({ context }) => context.generation + 1 }),
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
