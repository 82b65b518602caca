import { assign, emit, enqueueActions, raise, setup } from 'xstate';
import type { WorkerInput, WorkerRestarted } from './worker.machine.js';
import { workerMachine } from './worker.machine.js';
import type { CancelReason } from './deadLetterReason.js';

export interface PoolInput {
  /** Threads to keep: the concurrency plus the warm spares. */
  threads: number;
  /** More than `intensity` restarts within `periodMs` escalates (OTP's restart intensity). */
  intensity: number;
  periodMs: number;
  worker: Omit<WorkerInput, 'slot'>;
}

export interface PoolContext extends PoolInput {
  /** Restarts inside the current window (each one expires `periodMs` after it happened). */
  recentRestarts: number;
}

export type PoolEvent = WorkerRestarted | { type: 'RESTART_EXPIRED' } | { type: 'STOP'; reason: CancelReason };

export type PoolEmitted = { type: 'escalated'; restarts: number; periodMs: number } | { type: 'restarted'; slot: number };

/** System id of worker slot `i` (stable and reused: never built from task data). */
export function workerId(slot: number): string {
  return `worker-${slot}`;
}

/**
 * Supervises the worker slots (spawned as children `worker-<i>`). Each slot replaces
 * its own thread; the pool counts those restarts in a sliding window (every restart
 * schedules its own expiry through the clock) and, past the intensity, escalates
 * instead of letting the slots restart forever.
 */
export const poolMachine = setup({
  types: {
    context: {} as PoolContext,
    events: {} as PoolEvent,
    input: {} as PoolInput,
    emitted: {} as PoolEmitted,
  },
  actors: { worker: workerMachine },
  delays: { period: ({ context }) => context.periodMs },
  guards: {
    exceedsIntensity: ({ context }) => context.recentRestarts + 1 > context.intensity,
  },
  actions: {
    stopWorkers: enqueueActions(({ context, event, enqueue }) => {
      const reason = event.type === 'STOP' ? event.reason : 'aborted';
      for (let i = 0; i < context.threads; i++) enqueue.sendTo(workerId(i), { type: 'STOP', reason });
    }),
  },
}).createMachine({
  id: 'pool',
  context: ({ input }) => ({ ...input, recentRestarts: 0 }),
  entry: enqueueActions(({ context, enqueue }) => {
    for (let i = 0; i < context.threads; i++) {
      enqueue.spawnChild('worker', { id: workerId(i), systemId: workerId(i), input: { ...context.worker, slot: i } });
    }
  }),
  initial: 'supervising',
  states: {
    supervising: {
      on: {
        RESTARTED: [
          {
            guard: 'exceedsIntensity',
            target: 'escalated',
            actions: assign({ recentRestarts: ({ context }) => context.recentRestarts + 1 }),
          },
          {
            actions: [
              assign({ recentRestarts: ({ context }) => context.recentRestarts + 1 }),
              raise({ type: 'RESTART_EXPIRED' }, { delay: 'period' }),
              emit(({ event }) => ({ type: 'restarted' as const, slot: event.slot })),
            ],
          },
        ],
        RESTART_EXPIRED: { actions: assign({ recentRestarts: ({ context }) => Math.max(0, context.recentRestarts - 1) }) },
        STOP: { actions: 'stopWorkers' },
      },
    },
    escalated: {
      entry: emit(({ context }) => ({ type: 'escalated' as const, restarts: context.recentRestarts, periodMs: context.periodMs })),
      on: { STOP: { actions: 'stopWorkers' } },
    },
  },
});
