import { assign, emit, raise, setup } from 'xstate';

export interface ChunkInput {
  /** Budget of one chunk, in ms. */
  chunkMs: number;
  /** A chunk whose dead-lettered share reaches this ratio counts as failed (a timeout always fails it). */
  failureRatio: number;
}

export interface ChunkContext extends ChunkInput {
  index: number;
  size: number;
  /** Counts reported with COMPLETE (kept for inspection). */
  succeeded: number;
  deadLettered: number;
  /** Delay of the armed retry wake-up. */
  wakeMs: number;
}

export type ChunkEvent =
  | { type: 'START'; index: number; size: number }
  /** Every task of the chunk ended for good (the engine counts; one event per chunk, not per task). */
  | { type: 'COMPLETE'; succeeded: number; deadLettered: number }
  /** The batch stops: the chunk ends without an outcome of its own. */
  | { type: 'STOP' }
  /** Arm (or re-arm) the wake-up for the earliest retry, `delayMs` from now. */
  | { type: 'WAKE_IN'; delayMs: number }
  | { type: 'DISARM' };

export interface ChunkEnded {
  type: 'ended';
  index: number;
  size: number;
  succeeded: number;
  deadLettered: number;
  timedOut: boolean;
  failed: boolean;
}

export type ChunkEmitted = ChunkEnded | { type: 'wake' };

function ended(c: ChunkContext, timedOut: boolean): ChunkEnded {
  return {
    type: 'ended',
    index: c.index,
    size: c.size,
    succeeded: c.succeeded,
    deadLettered: c.deadLettered,
    timedOut,
    failed: timedOut || (c.size > 0 && c.deadLettered / c.size >= c.failureRatio),
  };
}

/**
 * One chunk at a time (the actor is reused from chunk to chunk): ends when the engine
 * reports all its tasks settled, or at `chunkMs`, and judges whether it failed. A second region carries the wake-up
 * timer for tasks waiting out a retry backoff.
 */
export const chunkMachine = setup({
  types: {
    context: {} as ChunkContext,
    events: {} as ChunkEvent,
    input: {} as ChunkInput,
    emitted: {} as ChunkEmitted,
  },
  delays: {
    chunkTimeout: ({ context }) => context.chunkMs,
    wakeDelay: ({ context }) => context.wakeMs,
  },
}).createMachine({
  id: 'chunk',
  type: 'parallel',
  context: ({ input }) => ({ ...input, index: -1, size: 0, succeeded: 0, deadLettered: 0, wakeMs: 0 }),
  states: {
    phase: {
      initial: 'idle',
      states: {
        idle: {
          on: {
            START: {
              target: 'running',
              actions: assign(({ event }) => ({ index: event.index, size: event.size, succeeded: 0, deadLettered: 0 })),
            },
          },
        },
        running: {
          after: {
            chunkTimeout: {
              target: 'idle',
              actions: [emit(({ context }) => ended(context, true)), raise({ type: 'DISARM' })],
            },
          },
          on: {
            COMPLETE: {
              target: 'idle',
              actions: [
                assign(({ event }) => ({ succeeded: event.succeeded, deadLettered: event.deadLettered })),
                emit(({ context, event }) =>
                  ended({ ...context, succeeded: event.succeeded, deadLettered: event.deadLettered }, false),
                ),
                raise({ type: 'DISARM' }),
              ],
            },
            STOP: { target: 'idle', actions: raise({ type: 'DISARM' }) },
          },
        },
      },
    },
    wake: {
      initial: 'off',
      states: {
        off: {
          on: { WAKE_IN: { target: 'armed', actions: assign({ wakeMs: ({ event }) => event.delayMs }) } },
        },
        armed: {
          after: { wakeDelay: { target: 'off', actions: emit({ type: 'wake' as const }) } },
          on: {
            WAKE_IN: { target: 'armed', reenter: true, actions: assign({ wakeMs: ({ event }) => event.delayMs }) },
            DISARM: { target: 'off' },
          },
        },
      },
    },
  },
});
