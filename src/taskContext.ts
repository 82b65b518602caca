/** What a task function receives beside its input (inside the worker). */
export interface TaskContext {
  /** Aborted when the task is timed out, cancelled or its batch stops: stop work and return or throw. */
  signal: AbortSignal;
  /** The task's stable key. */
  key: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** Tell the supervisor the task is alive (required at least every `timeouts.heartbeatMs` when set). */
  heartbeat(progress?: unknown): void;
  /** Log lines forwarded to the host's pino logger, bound to the task. */
  log: {
    debug(msg: string, data?: unknown): void;
    info(msg: string, data?: unknown): void;
    warn(msg: string, data?: unknown): void;
    error(msg: string, data?: unknown): void;
  };
}

/** A task module's default export. */
export type TaskFunction<I = unknown> = (input: I, ctx: TaskContext) => unknown | Promise<unknown>;

/** Typed identity helper for a task module: `export default defineTask<Point>(async (p, ctx) => { ... })`. */
export function defineTask<I>(fn: TaskFunction<I>): TaskFunction<I> {
  return fn;
}
