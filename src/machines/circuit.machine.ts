import { assign, emit, setup } from 'xstate';

export interface CircuitInput {
  /** Consecutive tripping failures that open the circuit. */
  threshold: number;
  /** How long the circuit stays open before one probe is let through. */
  cooldownMs: number;
}

export interface CircuitContext extends CircuitInput {
  failures: number;
}

export type CircuitEvent =
  /** A task succeeded: resets the count (and closes a half-open circuit). */
  | { type: 'SUCCESS' }
  /** A task failed in a way that looks like a broken dependency. */
  | { type: 'TRIP' };

export type CircuitEmitted =
  | { type: 'opened'; failures: number }
  | { type: 'halfOpened' }
  | { type: 'closed' };

/**
 * A circuit breaker: closed ⇄ open ⇄ halfOpen. `threshold` consecutive trips open it;
 * after `cooldownMs` it lets one probe through (halfOpen): a success closes it, a trip
 * opens it again. Failures that do not trip are never sent here (the caller decides
 * what trips: see `circuit.trips`).
 */
export const circuitMachine = setup({
  types: {
    context: {} as CircuitContext,
    events: {} as CircuitEvent,
    input: {} as CircuitInput,
    emitted: {} as CircuitEmitted,
  },
  delays: {
    cooldown: ({ context }) => context.cooldownMs,
  },
  guards: {
    reachesThreshold: ({ context }) => context.failures + 1 >= context.threshold,
  },
}).createMachine({
  id: 'circuit',
  context: ({ input }) => ({ ...input, failures: 0 }),
  initial: 'closed',
  states: {
    closed: {
      on: {
        SUCCESS: { actions: assign({ failures: 0 }) },
        TRIP: [
          { guard: 'reachesThreshold', target: 'open', actions: assign({ failures: ({ context }) => context.failures + 1 }) },
          { actions: assign({ failures: ({ context }) => context.failures + 1 }) },
        ],
      },
    },
    open: {
      entry: emit(({ context }) => ({ type: 'opened' as const, failures: context.failures })),
      after: { cooldown: { target: 'halfOpen' } },
    },
    halfOpen: {
      entry: emit({ type: 'halfOpened' as const }),
      on: {
        SUCCESS: { target: 'closed', actions: [assign({ failures: 0 }), emit({ type: 'closed' as const })] },
        TRIP: { target: 'open', actions: assign({ failures: ({ context }) => context.failures + 1 }) },
      },
    },
  },
});
