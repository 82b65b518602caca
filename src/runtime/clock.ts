import { performance } from 'node:perf_hooks';

/** XState's clock (setTimeout/clearTimeout) plus `now()`: every wait and every timestamp in Warden goes through one. */
export interface WardenClock {
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  clearTimeout(id: any): void;
  /** Wall-clock time (epoch ms): timestamps people read, and fire times. */
  now(): number;
  /**
   * A reading that never jumps (ms, any origin), for budgets and durations: a task's deadline,
   * a retry's delay, how long a task took. Without it, `now()` is used (a SimulatedClock's
   * time does not jump unless the test makes it).
   */
  monotonic?(): number;
}

/** Real time: `now()` is the wall clock, `monotonic()` the process's monotonic clock. Tests pass xstate's `SimulatedClock` or use fake timers. */
export const systemClock: WardenClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** The clock's reading for budgets and durations: `monotonic()` when it has one, else `now()`. */
export function monotonicOf(clock: WardenClock): () => number {
  const read = clock.monotonic;
  return read ? () => read.call(clock) : () => clock.now();
}
