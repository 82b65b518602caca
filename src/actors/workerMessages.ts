import type { SerializedError, TaskAssignment, TaskResult, ThreadEvent } from '../machines/workerProtocol.js';
import { monotonicOf } from '../runtime/clock.js';
import type { WorkerLogicOptions } from './workerLogic.js';

/** What a worker (thread or process) posts to its supervisor: a success is its bare sequence number. */
export type WorkerMessage =
  | number
  | { t: 'err'; seq: number; error: SerializedError }
  | { t: 'hb'; seq: number }
  | { t: 'pong' }
  | { t: 'ready' }
  | { t: 'loadFailed'; error: SerializedError }
  | { t: 'log'; seq: number; level: string; msg: string; data: unknown }
  /** Only from a process: the uncaught error that is about to end it. */
  | { t: 'uncaught'; error: SerializedError };

export interface WorkerMessages {
  /** Turns one message from the worker into machine events. */
  receive(m: WorkerMessage): void;
  /** A result that did not come from the worker (an input that could not be sent). */
  addResult(r: TaskResult): void;
  /** Sends the results gathered so far now (before EXITED: what finished before the exit counts). */
  flush(): void;
  /** The uncaught error a process reported before it died, if any. */
  readonly uncaught: SerializedError | undefined;
}

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** Any thrown value as it crosses to the supervisor and lands in a dead letter. */
export function serializeError(err: unknown): SerializedError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown } | undefined;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    code: typeof e?.code === 'string' || typeof e?.code === 'number' ? e.code : undefined,
    stack: typeof e?.stack === 'string' ? e.stack : undefined,
  };
}

/**
 * The supervisor's side of the worker protocol, shared by the thread and process actors.
 * Results that arrive in the same turn of the event loop go to the machine as one
 * RESULTS event.
 */
export function workerMessages(send: (e: ThreadEvent) => void, opts: WorkerLogicOptions, slot: number): WorkerMessages {
  let results: TaskResult[] = [];
  let flushScheduled = false;
  let uncaught: SerializedError | undefined;
  const elapsed = monotonicOf(opts.clock); // the worker machine's deadlines: a wall-clock step must not move them
  const flush = () => {
    flushScheduled = false;
    if (results.length === 0) return;
    const batch = results;
    results = [];
    send({ type: 'RESULTS', results: batch, at: elapsed() });
  };
  const addResult = (r: TaskResult) => {
    results.push(r);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flush);
    }
  };
  return {
    addResult,
    flush,
    get uncaught() {
      return uncaught;
    },
    receive(m) {
      if (typeof m === 'number') return addResult({ seq: m }); // a success
      switch (m.t) {
        case 'err':
          return addResult({ seq: m.seq, error: m.error });
        case 'hb':
          flush();
          return send({ type: 'HEARTBEAT', seq: m.seq });
        case 'pong':
          return send({ type: 'PONG' });
        case 'ready':
          return send({ type: 'READY' });
        case 'loadFailed':
          return send({ type: 'LOAD_FAILED', error: m.error });
        case 'uncaught':
          uncaught = m.error;
          return;
        case 'log': {
          const level = LEVELS.find((l) => l === m.level) ?? 'info';
          opts.logger[level]({ slot, seq: m.seq, data: m.data }, m.msg);
          return;
        }
      }
    },
  };
}

/**
 * Hands tasks to a worker in one message; when the group cannot be serialised, one by one,
 * so that the input that cannot cross fails alone (`ERR_WARDEN_UNCLONABLE_INPUT`).
 */
export function sendTasks(tasks: TaskAssignment[], post: (message: { t: 'run'; tasks: TaskAssignment[] }) => void, messages: WorkerMessages): void {
  try {
    post({ t: 'run', tasks });
  } catch {
    for (const task of tasks) {
      try {
        post({ t: 'run', tasks: [task] });
      } catch (err) {
        messages.addResult({ seq: task.seq, error: { ...serializeError(err), code: 'ERR_WARDEN_UNCLONABLE_INPUT' } });
      }
    }
  }
}
