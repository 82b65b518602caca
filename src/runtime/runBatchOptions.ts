import type { ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import type { SerializedError } from '../machines/workerProtocol.js';
import type { WardenClock } from './clock.js';
import type { BatchEvent } from './batchEvent.js';
import type { DeadLetter } from './deadLetter.js';

/** Nested budgets, in ms: task ≤ chunk ≤ batch. */
export interface Timeouts {
  /** Whole batch. Default 2 h. */
  batchMs?: number;
  /** One chunk. Default 10 min. */
  chunkMs?: number;
  /** One attempt of one task. Default 5 min. */
  taskMs?: number;
  /** Optional: a task must call `ctx.heartbeat()` at least this often, or it is treated as hung. */
  heartbeatMs?: number;
  /** Optional: a busy worker's event loop must answer a ping within this many ms. Off by default
   * (a task that computes synchronously for longer would be killed). */
  pingMs?: number;
  /** After the task's signal is aborted, how long before the thread is terminated. Default 5 s. */
  killGraceMs?: number;
  /** How long a new worker may take to load the task module. Default 30 s. */
  startMs?: number;
  /** How long a terminated thread may take to exit before it is reported stuck. Default 5 s. */
  terminateMs?: number;
}

export interface RetryOptions {
  /** Attempts in all, the first included. Default 1 (no retry: tasks may not be idempotent). */
  attempts?: number;
  /** Delay before retry n: initialMs * factor^(n-1), capped at maxMs. Default 1 s, ×2, 30 s. */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
}

export interface CircuitOptions {
  /** Consecutive tripping failures that open the circuit. Default 5. */
  threshold?: number;
  /** Open → half-open after this long. Default 60 s. */
  cooldownMs?: number;
  /** Which task errors count toward the circuit. Default: connection-type error codes. */
  trips?: (error: SerializedError) => boolean;
}

export interface RestartOptions {
  /** More than `intensity` worker restarts within `periodMs` fails the batch. Default 10 in 60 s. */
  intensity?: number;
  periodMs?: number;
  /** Delay between failed starts of one worker. Default 100 ms, ×2, 5 s. */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
}

/** Where a worker runs: a worker thread, or a child process (docs/isolation.md). */
export type Isolation = 'thread' | 'process';

export interface RunBatchOptions<I = unknown> {
  /** The task module (path or file URL). Its default export `async (input, ctx)` runs in a worker. */
  task: string | URL;
  /** The inputs: read lazily, one chunk at a time. */
  source: Iterable<I> | AsyncIterable<I>;
  /** Stable key of an input (for dead letters and replay). Default: its position, as a string. */
  key?: (input: I, index: number) => string;
  /** Tasks run at once. Default 4 (at most the machine's parallelism). */
  workers?: number;
  /** Started threads kept ready beyond `workers`, so a replaced worker costs no spawn wait. Default 1. */
  spareWorkers?: number;
  /** Tasks per chunk. Default 1000. */
  chunkSize?: number;
  /** A failed chunk among the first `earlyChunks` aborts the batch; later ones are skipped. Default 3. */
  earlyChunks?: number;
  /** A chunk fails when it times out or when this share of its tasks is dead-lettered. Default 1 (all). */
  chunkFailureRatio?: number;
  timeouts?: Timeouts;
  retry?: RetryOptions;
  circuit?: CircuitOptions;
  restarts?: RestartOptions;
  /** V8 limits for each worker thread (see node:worker_threads). Threads only. */
  resourceLimits?: ResourceLimits;
  /** Where each worker runs. `'thread'` (default): a worker thread. `'process'`: a child process,
   * which can always be killed (even in a synchronous native call) and whose memory can be capped;
   * it costs more to start and per task. See docs/isolation.md. */
  isolation?: Isolation;
  /** Memory cap of each worker, in MB (≥ 96). A process gets it as its V8 heap limit, and its
   * resident memory is watched: over it, the process is killed and its task dead-lettered `crash`
   * with a WorkerMemoryError. A thread gets it as its heap limit only (`resourceLimits`). Default: none. */
  maxMemoryMb?: number;
  /** The caller's abort: in-flight tasks are stopped and the rest dead-lettered `aborted`. */
  signal?: AbortSignal;
  /** Called once for each dead letter, as it happens. An exception thrown here is logged, never fatal. */
  onDeadLetter?: (letter: DeadLetter<I>) => void;
  /** Called with each batch event (worker restarted or stuck, circuit opened, chunk ended). An exception thrown here is logged, never fatal. */
  onEvent?: (event: BatchEvent) => void;
  /** Log each dead-lettered task's input with its warning (default false: inputs can be large or sensitive). */
  logInputs?: boolean;
  /** pino logger. Default: pino at level `WARDEN_LOG_LEVEL` or `info`. */
  logger?: Logger;
  /** Injected clock (tests). Default: real time. */
  clock?: WardenClock;
  /** XState inspection callback (for example a Stately inspector's `inspect`). */
  inspect?: (event: InspectionEvent) => void;
}
