/** What the engine tells about each task attempt that finished in its worker, and each tripping failure. Internal. */
export interface RunObserver {
  /** A task attempt finished in its worker (succeeded or threw) after `ms`. */
  task(ms: number): void;
  /** A failure counted toward the circuit (a dependency error). */
  trip(): void;
}
