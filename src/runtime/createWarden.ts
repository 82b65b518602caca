import pino, { type Logger } from 'pino';
import { OptionError } from '../errors/OptionError.js';
import { WardenError } from '../errors/WardenError.js';
import { monotonicOf, systemClock, type WardenClock } from './clock.js';
import { JobRunner, type RunNowResult } from './jobRunner.js';
import type { JobSpec } from './jobSpec.js';
import { resolveJob } from './resolveJob.js';
import { replayPlan } from './replayPlan.js';
import { resolveStore, type StoreOption } from './storeOption.js';
import { WardenStorage, type StoreFaults } from './wardenStorage.js';
import type { StorePayloadError } from '../errors/StorePayloadError.js';
import type { PurgeFilter, ReplaySelection } from '../store/deadLetterAdmin.js';
import type { DeadLetterFilter, Page, StoredChunk, StoredDeadLetter, StoredDeadLetterSummary, StoredRun } from '../store/types.js';
import type { RunInternals } from './runBatch.js';
import { handleSignals } from './signals.js';
import { TypedEmitter } from './typedEmitter.js';
import { describe, integerAtLeast, nonNegativeMs } from './validate.js';
import type { WardenEvents } from './wardenEvents.js';
import { checkHealth, TICK_MS, type Health } from '../observe/health.js';
import { resolveInspector, type InspectOption } from '../observe/inspector.js';
import { serveHttp, type ServeOptions, type Served } from '../observe/serve.js';
import { createStatusStore, feedStatus, statusOf, type StatusStore, type WardenStatus } from '../observe/statusStore.js';
import { WardenMetrics } from '../observe/wardenMetrics.js';

export interface WardenOptions {
  /** pino logger. Default: pino at level `WARDEN_LOG_LEVEL` or `info`. */
  logger?: Logger;
  /** Worker threads per run, unless a job says otherwise. Default: runBatch's (4). */
  workers?: number;
  /** The scheduler's clock: fire times, job budgets and the job circuit's cool-down (tests pass xstate's SimulatedClock). Default: real time. */
  clock?: WardenClock;
  /** The clock runs use for their own budgets (task, chunk, batch, kill grace) and close()'s grace. Default: real time. */
  runClock?: WardenClock;
  /** Live statecharts of the job machines and every run: a callback, an inspector (such as
   * @statelyai/inspect's: its `inspect` is used and its `stop()` called by close()), or the
   * WebSocket URL of an inspector server. Default: the `WARDEN_INSPECT` URL, if set. */
  inspect?: InspectOption;
  /** Send the worker slots' per-task events to the inspector too (default false: a big run would drown it). */
  inspectTasks?: boolean;
  /** Add Node's process metrics (CPU, heap, event-loop lag, …; prefix `warden_process_`) to `metrics()`. Default false. */
  processMetrics?: boolean;
  /** Where runs, progress, dead letters and job state are kept: `'sqlite:<file>'`, `{ sqlite: <file>, synchronous }`
   * or `'memory'` (tests). Default: the `WARDEN_STORE` environment variable, else `'sqlite:./warden.db'`. */
  store?: StoreOption;
}

/** `warden.deadLetters`: the dead-letter queue in the store. */
export interface WardenDeadLetters {
  /** Oldest first, without inputs, a page at a time (pass the returned `cursor` for the next). */
  list(filter?: DeadLetterFilter): Page<StoredDeadLetterSummary>;
  /** One letter with its input (`payload.ok === false` with a StorePayloadError for a corrupt or oversized one). */
  get<I = unknown>(id: number): StoredDeadLetter<I> | undefined;
  /**
   * Runs letters again through their job's supervision (one run per job, subject to maxInstances
   * and the job circuit): `{ jobId }` takes that job's letters not yet replayed, `{ ids }` exactly
   * these. Replayed letters are marked (`replayedAt`, `replayRunId`); a task that fails again
   * becomes a new letter with `replayOf` set to the old one.
   */
  replay(selection: ReplaySelection): Promise<ReplayResult[]>;
  /** Deletes the matching letters (at least one field, or `{ all: true }`); returns how many. */
  purge(filter: PurgeFilter | { all: true }): number;
}

/** One job's part of a replay. */
export interface ReplayResult {
  jobId: string;
  /** The replay run (absent when it was skipped). */
  runId?: string | undefined;
  result: RunNowResult;
  /** Letters run again. */
  replayed: number;
  /** Letters whose stored input cannot be decoded: not run, left as they are. */
  unreadable: Array<{ id: number; error: StorePayloadError }>;
}

/** `warden.runs`: run history in the store. */
export interface WardenRuns {
  /** Oldest first, at most `limit` (default 100). */
  list(filter?: { jobId?: string; status?: string; limit?: number }): StoredRun[];
  get(id: string): StoredRun | undefined;
  /** The chunks a run settled (what a resume skips). */
  chunks(id: string): StoredChunk[];
}

export interface Warden {
  /** Adds a job (validated at once: an OptionError names the field). Armed by start(), or at once after it. */
  defineJob<I>(spec: JobSpec<I>): void;
  /** Recovers runs a dead host left unfinished (per job: `onInterrupted`), then arms every job. */
  start(): Promise<void>;
  /** Runs a job now (subject to maxInstances and the job's circuit): its summary, or `{ status: 'skipped', reason: 'max-instances' | 'circuit-open' }`. */
  runNow(id: string): Promise<RunNowResult>;
  /** Listens to a typed event; returns the function that stops listening. A listener that throws is logged, never fatal. */
  on<K extends keyof WardenEvents>(type: K, fn: (event: WardenEvents[K]) => void): () => void;
  /** Instances of a job holding a slot now. */
  instances(id: string): number;
  /** Stops arming; lets running runs finish for `graceMs` (default 30 s), then aborts them (their remaining tasks are dead-lettered `aborted`). Resolves once every run has ended, every worker thread is gone and the store is written and closed. */
  close(options?: { graceMs?: number }): Promise<void>;
  /** The dead-letter queue (list, get, replay, purge). */
  readonly deadLetters: WardenDeadLetters;
  /** Run history. */
  readonly runs: WardenRuns;
  /** The store's file (`:memory:` for `'memory'`). */
  readonly storePath: string;
  /** The Prometheus text exposition of the warden's metrics (names: docs/operations.md). */
  metrics(): Promise<string>;
  /** The live status: jobs, running runs with chunk progress, the store's health. */
  status(): WardenStatus;
  /** The status as an @xstate/store (subscribe to follow it live). */
  readonly statusStore: StatusStore;
  /** 200-or-503 health: started, the scheduler ticks, the store takes writes. */
  health(): Health;
  /** Serves GET /healthz, /metrics and /status over HTTP (default 127.0.0.1:9464); close() stops it. */
  serve(options?: ServeOptions): Promise<Served>;
  /** Opt-in: the first SIGTERM / SIGINT → close({ graceMs }); a second one while closing exits at once with code 1. The handlers are removed when close() resolves, or by the returned function. */
  handleSignals(options?: { graceMs?: number }): () => void;
}

/** The host API: one Warden per host process supervises every scheduled job. */
export function createWarden(options: WardenOptions = {}): Warden {
  return createWardenWith(options, {});
}

/** What the simulation can set on a warden that is not part of the public options. */
export interface WardenInternals {
  /** The simulation's worker (see RunInternals). */
  workerLogic?: RunInternals['workerLogic'];
  /** The simulation's store faults: writes that fail for a while. */
  storeFaults?: StoreFaults | undefined;
}

/** createWarden with internal overrides (the simulation's worker and store faults); not exported from the package. */
export function createWardenWith(options: WardenOptions, internals: WardenInternals): Warden {
  const logger = options.logger ?? pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'info' });
  const workers = options.workers === undefined ? undefined : integerAtLeast('options.workers', options.workers, 1, '4');
  const events = new TypedEmitter<WardenEvents>(logger);
  const resolvedStore = resolveStore(options.store);
  const storePath = resolvedStore.path;
  const runClock = options.runClock ?? systemClock;
  const storage = new WardenStorage(resolvedStore, runClock, logger, events, internals.storeFaults);
  const clock = options.clock ?? systemClock;
  const metrics = new WardenMetrics(events, { processMetrics: options.processMetrics === true });
  const status = createStatusStore(storePath);
  feedStatus(status, events, () => clock.now());
  let inspector: ReturnType<typeof resolveInspector>;
  try {
    inspector = resolveInspector(options.inspect, options.inspectTasks === true, logger);
  } catch (err) {
    storage.close();
    throw err;
  }
  const servers = new Set<Served>();
  // The scheduler's liveness tick (for /healthz), on the scheduler's clock.
  const elapsed = monotonicOf(clock);
  let lastTickAt = clock.now();
  let lastTickElapsed = elapsed();
  let tickTimer: unknown;
  const tick = () => {
    lastTickAt = clock.now();
    lastTickElapsed = elapsed();
    tickTimer = clock.setTimeout(tick, TICK_MS);
    (tickTimer as { unref?: () => void } | undefined)?.unref?.();
  };
  const deps = {
    clock,
    runClock,
    logger,
    workers,
    inspect: inspector?.inspect,
    events,
    workerLogic: internals.workerLogic,
    storage,
    metrics,
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
      status.trigger.jobDefined({ jobId: resolved.id, deadLetters: storage.attempt('count dead letters', () => storage.store.letters.waiting(resolved.id), 0) });
      if (started) void runner.start().catch((err: unknown) => logger.error({ err, jobId: resolved.id }, 'job failed to start'));
    },
    async start() {
      if (closing) throw closed();
      if (started) return;
      started = true;
      tick();
      await Promise.all([...jobs.values()].map((j) => j.start()));
    },
    async runNow(id) {
      if (closing) throw closed();
      return job(id).runNow();
    },
    on: (type, fn) => events.on(type, fn),
    instances: (id) => job(id).instances(),
    close(o = {}) {
      const graceMs = nonNegativeMs('options.graceMs', o.graceMs ?? 30_000, '30000');
      clock.clearTimeout(tickTimer);
      closing ??= Promise.all([...jobs.values()].map((j) => j.close(graceMs))).then(async () => {
        await Promise.all([...servers].map((sv) => sv.close()));
        inspector?.close();
        storage.close();
        unhandle?.();
        logger.info('warden closed');
      });
      return closing;
    },
    storePath,
    metrics: () => metrics.text(),
    status: () => statusOf(status),
    statusStore: status,
    health() {
      const h = checkHealth({
        now: clock.now(),
        started,
        closing: closing !== undefined,
        lastTickAt,
        sinceTickMs: elapsed() - lastTickElapsed,
        storeFailing: !status.getSnapshot().context.store.ok && storage.writer.pending > 0,
        probeStore: () => storage.probe(),
      });
      if (h.ok) status.trigger.storeOk();
      return h;
    },
    async serve(o = {}) {
      if (closing) throw closed();
      const served = await serveHttp(
        { health: () => warden.health(), metrics: () => metrics.text(), metricsContentType: metrics.contentType, status: () => statusOf(status) },
        o,
        logger,
      );
      const close = served.close;
      const tracked: Served = { ...served, close: () => (servers.delete(tracked), close()) };
      servers.add(tracked);
      return tracked;
    },
    runs: {
      list: (filter = {}) => storage.store.runs.list(filter),
      get: (id) => storage.store.runs.get(id),
      chunks: (id) => storage.store.progress.chunks(id),
    },
    deadLetters: {
      list: (filter) => {
        storage.attempt('flush', () => storage.writer.flush(), 0); // what was handed over is listed
        return storage.store.deadLetters.list(filter);
      },
      get: (id) => {
        storage.attempt('flush', () => storage.writer.flush(), 0);
        return storage.store.deadLetters.get(id);
      },
      async replay(selection) {
        if (closing) throw closed();
        storage.writer.flush();
        const picked = storage.store.letters.select(checkSelection(selection, jobs));
        const byJob = new Map<string, number[]>();
        for (const { id, jobId } of picked) byJob.set(jobId, [...(byJob.get(jobId) ?? []), id]);
        for (const jobId of byJob.keys()) {
          if (!jobs.has(jobId)) throw new OptionError('selection', `takes letters of job ${describe(jobId)}, which is not defined in this warden`, 'defineJob it first: a replay runs through the job\'s task and supervision');
        }
        return Promise.all(
          [...byJob].map(async ([jobId, ids]) => {
            const r = replayPlan<unknown>(storage.store, ids);
            const result = await job(jobId).submit(r.plan);
            status.trigger.deadLetters({ jobId, count: storage.attempt('count dead letters', () => storage.store.letters.waiting(jobId), 0) });
            return { jobId, runId: r.runId, result, replayed: r.replayed, unreadable: r.unreadable };
          }),
        );
      },
      purge(filter) {
        if (filter === null || typeof filter !== 'object' || (!('all' in filter && filter.all === true) && Object.values(filter).every((v) => v === undefined))) {
          throw new OptionError('filter', 'is empty: it would delete every dead letter', 'pass at least one of jobId, runId, reason, ids, replayed, before, or { all: true }');
        }
        storage.writer.flush();
        const n = storage.store.letters.purge('all' in filter ? {} : filter);
        for (const jobId of jobs.keys()) status.trigger.deadLetters({ jobId, count: storage.store.letters.waiting(jobId) });
        return n;
      },
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

/** Checks a replay selection: `{ jobId }` of a defined job, or `{ ids }` (a non-empty array of letter ids). */
function checkSelection(selection: unknown, jobs: Map<string, unknown>): ReplaySelection {
  const sel = selection as Partial<{ jobId: unknown; ids: unknown }> | null;
  if (sel && typeof sel === 'object' && typeof sel.jobId === 'string' && sel.ids === undefined) {
    if (!jobs.has(sel.jobId)) throw new OptionError('selection.jobId', `names no defined job (got ${describe(sel.jobId)})`, `define it first; known: ${[...jobs.keys()].join(', ') || 'none'}`);
    return { jobId: sel.jobId };
  }
  if (sel && typeof sel === 'object' && Array.isArray(sel.ids) && sel.jobId === undefined) {
    if (sel.ids.length === 0 || !sel.ids.every((id) => Number.isInteger(id) && (id as number) > 0)) {
      throw new OptionError('selection.ids', 'must be a non-empty array of dead-letter ids (positive integers)', 'take them from deadLetters.list()');
    }
    return { ids: sel.ids as number[] };
  }
  throw new OptionError('selection', `must be { jobId } or { ids } (got ${describe(selection)})`, "pass { jobId: 'nightly' } or { ids: [1, 2] }");
}
