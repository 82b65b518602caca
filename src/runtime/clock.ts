/** XState's clock (setTimeout/clearTimeout) plus `now()`: every wait and every timestamp in Warden goes through one. */
export interface WardenClock {
  setTimeout(fn: (...args: any[]) => void, timeout: number): any;
  clearTimeout(id: any): void;
  now(): number;
}

/** Real time. Tests pass xstate's `SimulatedClock` (it has `now()`) or use fake timers. */
export const systemClock: WardenClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
  now: () => Date.now(),
};
