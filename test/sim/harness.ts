import Database from 'better-sqlite3';
import pino from 'pino';
import type { InspectionEvent } from 'xstate';
import { createWardenWith, type Warden } from '../../src/runtime/createWarden.js';
import type { RunNowResult } from '../../src/runtime/jobRunner.js';
import type { WardenEvents } from '../../src/runtime/wardenEvents.js';
import type { BatchSummary } from '../../src/runtime/batchSummary.js';
import type { DeadLetter } from '../../src/runtime/deadLetter.js';
import type { HostEvent, Schedule, StoreFailCode } from './schedule.js';
import type { SqliteStore } from '../../src/store/openSqliteStore.js';
import { SimClock } from './simClock.js';
import { SimWorld, simKey, type RunLog, type SimInput } from './simWorker.js';

export const JOB = 'sim';
const TASK = new URL('../fixtures/ok.mjs', import.meta.url); // must exist; never loaded (the workers are simulated)

/** A moment of the simulation: monotonic time, and the order among things at one instant. */
export interface Moment {
  at: number;
  order: number;
}

/** One run as the warden reported it, with what its simulated threads did. */
export interface RunObs {
  runId: string;
  manual: boolean;
  started: Moment;
  ended: Moment | undefined;
  summary: BatchSummary | undefined;
  failed: unknown;
  letters: Array<{ letter: DeadLetter<SimInput> } & Moment>;
  timedOut: Moment | undefined;
  circuitOpened: Moment | undefined;
  chunks: Array<WardenEvents['chunk.ended']>;
  restarted: number;
  stuck: number;
  /** The batch's stop backstop fired (`stopping` ended by its timer, not because everything stopped). */
  stopBackstop: boolean;
  /** Threads of this run still alive when it ended. */
  liveThreadsAtEnd: number;
  log: RunLog | undefined;
}

/** Everything a simulated schedule produced, for the invariant checks. */
export interface Observation {
  schedule: Schedule;
  runs: RunObs[];
  skipped: Array<WardenEvents['run.skipped'] & Moment & { active: number; instances: number }>;
  missed: Array<WardenEvents['run.missed'] & Moment>;
  released: Array<WardenEvents['run.released'] & Moment>;
  /** Host stalls that happened: [from, to) in monotonic time. */
  stalls: Array<{ from: number; to: number }>;
  /** Wall-clock jumps that happened. */
  wallJumps: Array<{ at: number; ms: number }>;
  /** warden.instances() after every step: the largest seen. */
  maxInstances: number;
  /** Instances after close() resolved. */
  instancesAtEnd: number | undefined;
  closeCalled: (Moment & { graceMs: number }) | undefined;
  closeResolved: Moment | undefined;
  runNows: Array<{ at: number; result: RunNowResult | undefined; error: unknown; settled: boolean }>;
  /** Clock timers still pending once close() resolved and every thread exited (a leak). */
  timersLeft: number;
  /** Threads still alive at the very end. */
  liveThreadsAtEnd: number;
  /** Error-level log lines that only a bug writes. */
  badLogs: string[];
  /** The simulation did not finish within its cap of simulated time (a hang). */
  hung: string | undefined;
  endedAt: number;
  /** Store write failures that happened (storeFails host events): writes fail in [from, to). */
  storeWindows: Array<{ from: number; to: number; code: StoreFailCode }>;
  /** Each store operation that writes to the file (run starts, job state, the writer's rows, health's probe), as the warden tried it: refused inside a window; and each run end handed to the writer (`end run`, never refused). */
  storeOps: Array<{ operation: string; refused: boolean } & Moment>;
  /** The `store.failed` events (the error reduced to what the checks read). */
  storeFailed: Array<{ operation: string; code: unknown; simulated: boolean } & Moment>;
  /** warden.health() at every step before close() once a window has begun (only in schedules with store failures). */
  health: Array<{ ok: boolean; reason: string | undefined; failing: boolean } & Moment>;
  /** What the store held as the warden closed it (after its last flush); undefined if it never closed. */
  stored: StoredRows | undefined;
}

/** The store's rows as the warden closed it. */
export interface StoredRows {
  at: number;
  /** Rows the last flush could not write (lost with the process). */
  unwritten: number;
  /** The last flush (close's) was refused. */
  lastFlushRefused: boolean;
  letters: Array<{ runId: string; key: string; index: number; reason: string; attempts: number }>;
  chunks: Array<{ runId: string; chunk: number; size: number; succeeded: number; deadLettered: number }>;
  runs: Array<{ id: string; status: string; endedAt: number | null }>;
}

/** Store operations that write to the file: the ones a failing disk refuses (reads go on, and so does
 * buffering a letter or a settled chunk: the writer's transaction, `write rows`, is what fails). */
const WRITES = /^(write run|write job state|write rows|probe)$/;
/** The message of a simulated store failure (a real one would be a bug here). */
export const SIMULATED = 'simulated store failure';

function readStored(store: SqliteStore, at: number, unwritten: number, lastFlushRefused: boolean): StoredRows {
  const db = store.db;
  return {
    at,
    unwritten,
    lastFlushRefused,
    letters: db.prepare('SELECT run_id AS runId, task_key AS key, task_index AS "index", reason, attempts FROM dead_letters ORDER BY id').all() as StoredRows['letters'],
    chunks: db.prepare('SELECT run_id AS runId, chunk, size, succeeded, dead_lettered AS deadLettered FROM run_chunks ORDER BY run_id, chunk').all() as StoredRows['chunks'],
    runs: db.prepare('SELECT id, status, ended_at AS endedAt FROM runs ORDER BY id').all() as StoredRows['runs'],
  };
}

/** Error-level log messages that no schedule may produce. */
const BAD_LOG = /internal error|do not add up|threw/;

/** The budget of simulated time: everything must be over well before this. */
export function simCapMs(s: Schedule): number {
  const c = s.config;
  const stopMs = c.killGraceMs + 2 * c.terminateMs + 1000;
  const lastHost = s.host.reduce((m, h) => Math.max(m, h.at + (h.kind === 'stall' ? h.ms : 0)), 0);
  return Math.max(s.horizonMs, lastHost) + c.jobMs + stopMs + 30_000 + 2000 + 60_000;
}

/** One turn of the real event loop: every pending promise job runs. */
const turn = () => new Promise<void>((r) => setImmediate(r));

/**
 * Runs one schedule to its end: a warden with one job (every `everyMs`), the real
 * scheduler and machines on a SimClock, simulated threads in place of worker threads.
 * The driver advances the clock from timer to timer, lets promise jobs run between
 * instants, applies the host events, and closes the warden at the horizon.
 */
export interface SimOptions {
  /** Every inspection event and snapshot change, as text (for debugging a schedule). */
  trace?: ((line: string) => void) | undefined;
  /** See SimWorld. */
  abortSemantics?: 'seq' | 'fromSeq' | undefined;
}

export async function simulate(schedule: Schedule, opts: SimOptions = {}): Promise<Observation> {
  const c = schedule.config;
  const clock = new SimClock();
  const world = new SimWorld(clock, schedule, opts.abortSemantics);
  const badLogs: string[] = [];
  const logger = pino(
    { level: 'error' },
    {
      write(line: string) {
        const msg = (JSON.parse(line) as { msg?: string }).msg ?? '';
        if (BAD_LOG.test(msg)) badLogs.push(msg);
      },
    },
  );
  const runs = new Map<string, RunObs>();
  const obs: Observation = {
    schedule,
    runs: [],
    skipped: [],
    missed: [],
    released: [],
    stalls: [],
    wallJumps: [],
    maxInstances: 0,
    instancesAtEnd: undefined,
    closeCalled: undefined,
    closeResolved: undefined,
    runNows: [],
    timersLeft: 0,
    liveThreadsAtEnd: 0,
    badLogs,
    hung: undefined,
    endedAt: 0,
    storeWindows: [],
    storeOps: [],
    storeFailed: [],
    health: [],
    stored: undefined,
  };
  const now = (): Moment => ({ at: clock.mono, order: world.tick() });
  let active = 0;

  // The batch's stop backstop, seen through inspection (cheap: a string test per event).
  const byBatchActor = new WeakMap<object, RunObs>();
  let startingRun: RunObs | undefined;
  const trace = opts.trace;
  const lastValue = new WeakMap<object, string>();
  const inspect = (e: InspectionEvent) => {
    if (trace) {
      const id = (e.actorRef as { id?: string }).id ?? '?';
      if (e.type === '@xstate.event' && !e.event.type.startsWith('xstate.after.deadlineCheck')) {
        trace(`${clock.mono} ${id} <- ${JSON.stringify(e.event).slice(0, 160)}`);
      }
      if (e.type === '@xstate.snapshot') {
        const v = JSON.stringify((e.snapshot as { value?: unknown }).value);
        if (lastValue.get(e.actorRef) !== v) {
          lastValue.set(e.actorRef, v);
          trace(`${clock.mono} ${id} = ${v}`);
        }
      }
    }
    if (e.type === '@xstate.actor' && startingRun && (e.actorRef as { logic?: { id?: string } }).logic?.id === 'batch') {
      byBatchActor.set(e.actorRef, startingRun);
    }
    if (e.type === '@xstate.event' && e.event.type.startsWith('xstate.after.stopTimeout')) {
      const r = byBatchActor.get(e.actorRef);
      if (r) r.stopBackstop = true;
    }
  };

  // Store faults: inside a storeFails window every write throws the SqliteError a failing disk gives.
  const failingCode = () => obs.storeWindows.find((w) => w.from <= clock.mono && clock.mono < w.to)?.code;
  const storeFaults = {
    before(operation: string) {
      if (operation === 'end run') obs.storeOps.push({ operation, refused: false, ...now() }); // only buffers: never refused
      if (!WRITES.test(operation)) return;
      const code = failingCode();
      obs.storeOps.push({ operation, refused: code !== undefined, ...now() });
      if (code !== undefined) throw new Database.SqliteError(`${SIMULATED} (${code})`, code);
    },
    closing(store: SqliteStore, unwritten: number) {
      const last = obs.storeOps[obs.storeOps.length - 1];
      obs.stored = readStored(store, clock.mono, unwritten, last?.operation === 'write rows' && last.refused && last.at === clock.mono);
    },
  };
  const warden: Warden = createWardenWith({ clock, runClock: clock, logger, inspect }, { workerLogic: world.workerLogic, storeFaults });
  warden.on('store.failed', (e) => {
    const err = e.error as { code?: unknown; message?: unknown } | undefined;
    obs.storeFailed.push({ operation: e.operation, code: err?.code, simulated: String(err?.message ?? '').startsWith(SIMULATED), ...now() });
  });
  warden.defineJob<SimInput>({
    id: JOB,
    trigger: { everyMs: c.everyMs },
    maxInstances: c.maxInstances,
    coalesce: c.coalesce,
    misfireGraceMs: c.misfireGraceMs,
    timeouts: {
      taskMs: c.taskMs,
      chunkMs: c.chunkMs,
      batchMs: c.batchMs,
      jobMs: c.jobMs,
      heartbeatMs: c.heartbeatMs,
      pingMs: c.pingMs,
      killGraceMs: c.killGraceMs,
      terminateMs: c.terminateMs,
      startMs: c.startMs,
    },
    task: TASK,
    workers: c.workers,
    spareWorkers: c.spareWorkers,
    chunkSize: c.chunkSize,
    earlyChunks: c.earlyChunks,
    chunkFailureRatio: c.chunkFailureRatio,
    retry: { attempts: c.attempts, backoff: { initialMs: c.backoffMs, factor: 2, maxMs: Math.max(c.backoffMs, 1000) } },
    circuit: { threshold: c.threshold, cooldownMs: c.cooldownMs },
    restarts: { intensity: c.intensity, periodMs: c.periodMs, backoff: { initialMs: 10, factor: 2, maxMs: 100 } },
    source: () => world.source(),
    key: simKey,
  });

  const run = (runId: string): RunObs => {
    let r = runs.get(runId);
    if (!r) throw new Error(`event for an unknown run ${runId}`);
    return r;
  };
  warden.on('run.started', (e) => {
    const r: RunObs = {
      runId: e.runId,
      manual: e.manual,
      started: now(),
      ended: undefined,
      summary: undefined,
      failed: undefined,
      letters: [],
      timedOut: undefined,
      circuitOpened: undefined,
      chunks: [],
      restarted: 0,
      stuck: 0,
      stopBackstop: false,
      liveThreadsAtEnd: 0,
      log: undefined,
    };
    runs.set(e.runId, r);
    obs.runs.push(r);
    active++;
    world.nextRunId = e.runId;
    startingRun = r;
  });
  const ended = (runId: string) => {
    const r = run(runId);
    r.ended = now();
    r.log = world.runs.find((l) => l.runId === runId);
    r.liveThreadsAtEnd = r.log?.threads.filter((t) => t.exitedAt === undefined).length ?? 0;
    active--;
  };
  warden.on('run.finished', (e) => {
    run(e.runId).summary = e.summary;
    ended(e.runId);
  });
  warden.on('run.failed', (e) => {
    run(e.runId).failed = e.error ?? new Error('run.failed without an error');
    ended(e.runId);
  });
  warden.on('run.skipped', (e) => obs.skipped.push({ ...e, ...now(), active, instances: warden.instances(JOB) }));
  warden.on('run.missed', (e) => obs.missed.push({ ...e, ...now() }));
  warden.on('run.released', (e) => obs.released.push({ ...e, ...now() }));
  warden.on('run.timeout', (e) => void (run(e.runId).timedOut ??= now()));
  warden.on('task.deadLettered', (e) => run(e.runId).letters.push({ letter: e.letter as DeadLetter<SimInput>, ...now() }));
  warden.on('circuit.opened', (e) => void (run(e.runId).circuitOpened ??= now()));
  warden.on('chunk.ended', (e) => run(e.runId).chunks.push(e));
  warden.on('worker.restarted', (e) => void run(e.runId).restarted++);
  warden.on('worker.stuck', (e) => void run(e.runId).stuck++);

  const host: HostEvent[] = [...schedule.host];
  let closing: Promise<void> | undefined;
  const close = (graceMs: number) => {
    if (closing) return;
    obs.closeCalled = { ...now(), graceMs };
    closing = warden.close({ graceMs }).then(() => {
      obs.closeResolved = now();
      obs.instancesAtEnd = warden.instances(JOB);
    });
  };
  const apply = (h: HostEvent) => {
    switch (h.kind) {
      case 'stall':
        obs.stalls.push({ from: clock.mono, to: clock.mono + h.ms });
        clock.stall(h.ms);
        return;
      case 'wallJump':
        obs.wallJumps.push({ at: clock.mono, ms: h.ms });
        clock.jumpWall(h.ms);
        return;
      case 'runNow': {
        if (closing) return; // runNow after close() throws; not a schedule worth making
        const entry: Observation['runNows'][number] = { at: clock.mono, result: undefined, error: undefined, settled: false };
        obs.runNows.push(entry);
        warden.runNow(JOB).then(
          (result) => Object.assign(entry, { result, settled: true }),
          (error: unknown) => Object.assign(entry, { error, settled: true }),
        );
        return;
      }
      case 'close':
        close(h.graceMs);
        return;
      case 'storeFails':
        obs.storeWindows.push({ from: clock.mono, to: clock.mono + h.ms, code: h.code });
        return;
    }
  };

  const cap = simCapMs(schedule);
  const sample = () => {
    obs.maxInstances = Math.max(obs.maxInstances, warden.instances(JOB));
    if (obs.storeWindows.length > 0 && !closing) {
      const h = warden.health();
      obs.health.push({ ok: h.ok, reason: h.ok ? undefined : h.reason, failing: failingCode() !== undefined, ...now() });
    }
  };
  // Stack traces cost more than the simulation itself under vitest (source maps); no check reads them.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  await warden.start();
  try {
    for (;;) {
      await turn();
      sample();
      if (obs.closeResolved && world.liveThreads() === 0) break;
      const due = clock.nextDue();
      const next = host[0];
      const horizon = closing ? undefined : schedule.horizonMs;
      const candidates = [due, next?.at, horizon].filter((t): t is number => t !== undefined);
      if (candidates.length === 0) {
        obs.hung = obs.closeResolved ? 'threads never exited' : 'nothing left to happen, yet close() has not resolved';
        break;
      }
      const t = Math.min(...candidates);
      if (t > cap) {
        obs.hung = `still going after ${cap} ms of simulated time`;
        break;
      }
      if (next && next.at === t && (due === undefined || due >= t)) {
        host.shift();
        if (t > clock.mono) clock.mono = t;
        apply(next);
      } else if (horizon !== undefined && horizon === t && (due === undefined || due >= t)) {
        if (t > clock.mono) clock.mono = t;
        close(30_000);
      } else {
        clock.advance();
      }
    }
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    obs.endedAt = clock.mono;
    obs.timersLeft = clock.pendingOfCode();
    obs.liveThreadsAtEnd = world.liveThreads();
    if (!obs.closeResolved && !closing) close(0);
  }
  return obs;
}
