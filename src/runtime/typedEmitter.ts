import type { Logger } from 'pino';

/** A tiny typed emitter: a listener that throws is logged and never reaches the emitter's caller. */
export class TypedEmitter<E extends object> {
  private readonly listeners = new Map<keyof E, Set<(e: never) => void>>();
  constructor(private readonly log: Logger) {}

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(type: K, fn: (event: E[K]) => void): () => void {
    let set = this.listeners.get(type);
    if (!set) this.listeners.set(type, (set = new Set()));
    set.add(fn as (e: never) => void);
    return () => void set.delete(fn as (e: never) => void);
  }

  emit<K extends keyof E>(type: K, event: E[K]): void {
    const set = this.listeners.get(type);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        (fn as (e: E[K]) => void)(event);
      } catch (err) {
        this.log.error({ err, event: String(type) }, 'an event listener threw; ignored');
      }
    }
  }
}
