import type { ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { CallbackActorLogic } from 'xstate';
import type { ThreadInput } from '../machines/worker.machine.js';
import type { ThreadCommand } from '../machines/workerProtocol.js';
import type { WardenClock } from '../runtime/clock.js';

/** What every worker actor gets: the task module and the things around it. */
export interface WorkerLogicOptions {
  /** file: URL of the task module, imported by the worker. */
  moduleUrl: string;
  logger: Logger;
  /** Stamps result groups with the time they arrived. */
  clock: WardenClock;
  resourceLimits?: ResourceLimits | undefined;
}

/**
 * The actor the worker slot machine invokes as `thread`, one per generation. It
 * speaks the worker protocol: it receives `ThreadCommand`s and sends back
 * `ThreadEvent`s (READY, RESULTS, HEARTBEAT, PONG, LOAD_FAILED, EXITED).
 */
export type WorkerLogic = CallbackActorLogic<ThreadCommand, ThreadInput>;

/** Makes the worker actor for a batch: a thread, a process, or (in tests) a simulation. */
export type WorkerLogicFactory = (opts: WorkerLogicOptions) => WorkerLogic;
