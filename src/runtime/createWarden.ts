import pino, { type Logger } from 'pino';
import type { InspectionEvent } from 'xstate';
import { OptionError } from '../errors/OptionError.js';
import { WardenError } from '../errors/WardenError.js';
import { systemClock, type WardenClock } from './clock.js';
import { JobRunner, type RunNowResult } from './jobRunner.js';
import type { JobSpec } from './jobSpec.js';
import { resolveJob } from './resolveJob.js';
import type { RunInternals } from './runBatch.js';
import { handleSignals } from './signals.js';
import { TypedEmitter } from './typedEmitter.js';
import { describe, integerAtLeast, nonNegativeMs } from './validate.js';
import type { WardenEvents } from './wardenEvents.js';

export interface WardenOptions {
  /** pino logger. Default: pino at level `WARDEN_LOG_LEVEL` or `info`. */
  logger?: Logger;
  /** Worker threads per run, unless a job says otherwise. Default: runBatch's (4). */
  workers?: number;
  /** The scheduler's clock: fire times, job budgets and the job circuit's cool-down (tests pass xstate's SimulatedClock). Default: real time. */
  clock?: WardenClock;
  /** The clock runs use for their own budgets (task, chunk, batch, kill grace) and close()'s grace. Default: real time. */
  runClock?: WardenClock;
  /** XState inspection callback, for the job machines and every run. */
  inspect?: (event: InspectionEvent) => void;
}

export interface Warden {
  /** Adds a job (validated at once: an OptionError names the field). Armed by start(), or at once after it. */
  defineJob<I>(spec: JobSpec<I>): void;
  /** Arms every job. */
  start(): Promise<void>;
  /** Runs a job now (subject to maxInstances and the job's circuit): its summary, or `{ status: 'skipped', reason: 'max-instances' | 'circuit-open' }`. */
  runNow(id: string): Promise<RunNowResult>;
  /** Listens to a typed event; returns the function that stops listening. A listener that throws is logged, never fatal. */
  on<K extends keyof WardenEvents>(type: K, fn: (event: WardenEvents[K]) => void): () => void;
  /** Instances of a job holding a slot now. */
  instances(id: string): number;
  /** Stops arming; lets running runs finish for `graceMs` (default 30 s), then aborts them (their remaining tasks are dead-lettered `aborted`). Resolves once every run has ended and every worker thread is gone. */
  close(options?: { graceMs?: number }): Promise<void>;
  /** Opt-in: the first SIGTERM / SIGINT → close({ graceMs }); a second one while closing exits at once with code 1. The handlers are removed when close() resolves, or by the returned function. */
  handleSignals(options?: { graceMs?: number }): () => void;
}

/** The host API: one Warden per host process supervises every scheduled job. */
export function createWarden(options: WardenOptions = {}): Warden {
  return createWardenWith(options, {});
}

/** createWarden with internal overrides (the simulation's worker); not exported from the package. */
export function createWardenWith(options: WardenOptions, internals: RunInternals): Warden {
  const logger = options.logger ?? pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'info' });
  const workers = options.workers === undefined ? undefined : integerAtLeast('options.workers', options.workers, 1, '4');
  const events = new TypedEmitter<WardenEvents>(logger);
  const deps = {
    clock: options.clock ?? systemClock,
    runClock: options.runClock ?? systemClock,
    logger,
    workers,
    inspect: options.inspect,
    events,
    workerLogic: internals.workerLogic,
  };
  const jobs = new Map<string, JobRunner<unknown>>();
  let started = false;
  let closing: Promise<void> | undefined;
  /** Removes the signal handlers (set while handleSignals is on). */
  let unhandle: (() => void) | undefined;

  const job = (id: string): JobRunner<unknown> => {
    const j = jobs.get(id);
    if (!j) throw new OptionError('id', `names no defined job (got ${describe(id)})`, `define it first; known: ${[...jobs.keys()].join(', ') || 'none'}`);
    return j;
  };
  const closed = () => new WardenError('ERR_WARDEN_CLOSED', 'this warden is closed');

  const warden: Warden = {
    defineJob(spec) {
      if (closing) throw closed();
      const resolved = resolveJob(spec);
      if (jobs.has(resolved.id)) throw new OptionError('job.id', `is already defined (${describe(resolved.id)})`, 'give each job its own id');
      const runner = new JobRunner(resolved, deps) as JobRunner<unknown>;
      jobs.set(resolved.id, runner);
      if (started) runner.start();
    },
    async start() {
      if (closing) throw closed();
      if (started) return;
      started = true;
      for (const j of jobs.values()) j.start();
    },
    async runNow(id) {
      if (closing) throw closed();
      return job(id).runNow();
    },
    on: (type, fn) => events.on(type, fn),
    instances: (id) => job(id).instances(),
    close(o = {}) {
      const graceMs = nonNegativeMs('options.graceMs', o.graceMs ?? 30_000, '30000');
      closing ??= Promise.all([...jobs.values()].map((j) => j.close(graceMs))).then(() => {
        unhandle?.();
        logger.info('warden closed');
      });
      return closing;
    },
    handleSignals(o = {}) {
      if (closing) throw closed();
      const graceMs = nonNegativeMs('options.graceMs', o.graceMs ?? 30_000, '30000');
      if (!unhandle) {
        const off = handleSignals(logger, () => warden.close({ graceMs }));
        const remove = () => {
          off();
          if (unhandle === remove) unhandle = undefined;
        };
        unhandle = remove;
      }
      return unhandle;
    },
  };
  return warden;
}
