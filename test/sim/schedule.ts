import fc from 'fast-check';

/** How a task that throws fails, as the task module would throw it. */
export type ThrowKind = 'data' | 'trip' | 'fatal' | 'unrecoverable';

/** What one attempt of one task does inside the simulated worker. */
export type Fate =
  /** Resolves after `ms`. */
  | { kind: 'ok'; ms: number }
  /** Throws after `ms`: a data error, a connection error (ECONNREFUSED), FatalError or UnrecoverableError. */
  | { kind: 'throw'; error: ThrowKind; ms: number }
  /** A busy loop: the thread's event loop is blocked (no pong, no heartbeat, no result) until it is
   * terminated; it then takes `exitMs` to exit (more than terminateMs: a stuck thread). */
  | { kind: 'busyHang'; exitMs: number }
  /** Awaits a promise that never settles (the dead connection): the loop is free (pongs), no result,
   * no heartbeat; it rejects on abort only when `honoursAbort`. */
  | { kind: 'awaitForever'; honoursAbort: boolean }
  /** The thread dies (exit code 1) after `ms`. */
  | { kind: 'crash'; ms: number };

/** How a new thread starts. */
export type StartFate = { kind: 'ready'; ms: number } | { kind: 'exit'; ms: number } | { kind: 'loadFailed' };

/** A task of a run: the fate of each attempt (the last one repeats). */
export type TaskPlan = Fate[];

/** Host-level events, at a time (ms from the start, monotonic). */
export type HostEvent =
  /** The host's event loop is blocked for `ms`: timers (fires, deadlines) fire late. */
  | { kind: 'stall'; at: number; ms: number }
  /** The wall clock (`now()`) jumps by `ms`, forward or back. */
  | { kind: 'wallJump'; at: number; ms: number }
  /** `warden.runNow(job)`. */
  | { kind: 'runNow'; at: number }
  /** `warden.close({ graceMs })`. */
  | { kind: 'close'; at: number; graceMs: number }
  /** Every store write fails for `ms` (from `at`) with a SqliteError of `code`: the disk is full or failing. */
  | { kind: 'storeFails'; at: number; ms: number; code: StoreFailCode };

/** The codes a failing disk gives a write: a full disk, an I/O error. */
export type StoreFailCode = 'SQLITE_FULL' | 'SQLITE_IOERR';

export interface SimConfig {
  workers: number;
  spareWorkers: number;
  chunkSize: number;
  earlyChunks: number;
  chunkFailureRatio: number;
  taskMs: number;
  chunkMs: number;
  batchMs: number;
  jobMs: number;
  heartbeatMs: number | undefined;
  pingMs: number | undefined;
  killGraceMs: number;
  terminateMs: number;
  startMs: number;
  attempts: number;
  backoffMs: number;
  threshold: number;
  cooldownMs: number;
  intensity: number;
  periodMs: number;
  maxInstances: number;
  coalesce: boolean;
  misfireGraceMs: number;
  everyMs: number;
  /** One-way latency of a message between the host and a simulated thread. */
  latencyMs: number;
}

export interface Schedule {
  config: SimConfig;
  /** Tasks of run n (1-based: runs[n-1]); runs past the list have no task. */
  runs: TaskPlan[][];
  /** How each new thread of run n starts, in creation order (past the list: ready at once). */
  starts: StartFate[][];
  host: HostEvent[];
  /** close() at this time (monotonic ms) if no `close` host event came first. */
  horizonMs: number;
}

/** The fate of attempt `attempt` (1-based) of a task: the last one repeats. */
export function fateOf(plan: TaskPlan, attempt: number): Fate {
  return plan[Math.min(plan.length, Math.max(1, attempt)) - 1] ?? { kind: 'ok', ms: 0 };
}

/** Does this fate take at least `ms` (or forever) before its result? */
export function takesAtLeast(f: Fate, ms: number): boolean {
  switch (f.kind) {
    case 'busyHang':
    case 'awaitForever':
      return true;
    default:
      return f.ms >= ms;
  }
}

// ------------------------------------------------------------------ readable text

export function fateText(f: Fate): string {
  switch (f.kind) {
    case 'ok':
      return `ok(${f.ms})`;
    case 'throw':
      return `throw:${f.error}(${f.ms})`;
    case 'busyHang':
      return `busyHang(exit+${f.exitMs})`;
    case 'awaitForever':
      return f.honoursAbort ? 'await∞(abortable)' : 'await∞';
    case 'crash':
      return `crash(${f.ms})`;
  }
}

function startText(s: StartFate): string {
  return s.kind === 'loadFailed' ? 'loadFailed' : `${s.kind}(${s.ms})`;
}

function hostText(h: HostEvent): string {
  switch (h.kind) {
    case 'stall':
      return `@${h.at} stall ${h.ms}`;
    case 'wallJump':
      return `@${h.at} wall ${h.ms >= 0 ? '+' : ''}${h.ms}`;
    case 'runNow':
      return `@${h.at} runNow`;
    case 'close':
      return `@${h.at} close(grace ${h.graceMs})`;
    case 'storeFails':
      return `@${h.at} store fails ${h.ms} (${h.code})`;
  }
}

/** The schedule as a few readable lines (what fast-check prints for a failing, shrunk case). */
export function scheduleText(s: Schedule): string {
  const c = s.config;
  const lines = [
    `config: workers ${c.workers}+${c.spareWorkers}, chunk ${c.chunkSize} (early ${c.earlyChunks}, ratio ${c.chunkFailureRatio}), ` +
      `task/chunk/batch/job ${c.taskMs}/${c.chunkMs}/${c.batchMs}/${c.jobMs} ms, hb ${c.heartbeatMs ?? '-'}, ping ${c.pingMs ?? '-'}, ` +
      `killGrace ${c.killGraceMs}, terminate ${c.terminateMs}, start ${c.startMs}, attempts ${c.attempts} (backoff ${c.backoffMs}), ` +
      `circuit ${c.threshold}/${c.cooldownMs}, restarts ${c.intensity}/${c.periodMs}, every ${c.everyMs} (max ${c.maxInstances}, ` +
      `coalesce ${c.coalesce}, grace ${c.misfireGraceMs}), latency ${c.latencyMs}`,
  ];
  s.runs.forEach((tasks, r) => {
    const starts = s.starts[r] ?? [];
    lines.push(
      `run ${r + 1}: ` + (tasks.map((p, i) => `t${i}=[${p.map(fateText).join(',')}]`).join(' ') || 'no tasks') +
        (starts.length ? ` starts=[${starts.map(startText).join(',')}]` : ''),
    );
  });
  lines.push(`host: ${s.host.map(hostText).join('; ') || 'none'}; horizon ${s.horizonMs}`);
  return lines.join('\n  ');
}

/** Wraps a schedule so that fast-check prints it readably. */
export function withText(s: Schedule): Schedule {
  const text = () => `\n  ${scheduleText(s)}\n`;
  Object.defineProperty(s, fc.toStringMethod, { value: text, enumerable: false });
  Object.defineProperty(s, 'toString', { value: text, enumerable: false });
  return s;
}

// ------------------------------------------------------------------ arbitraries

/** Durations from a small set, so that events often coincide (ties are where races live). */
const ms = (values: number[]) => fc.constantFrom(...values);

export interface ScheduleShape {
  /** Relative weights of the task fates. */
  weights: { ok: number; throw: number; busyHang: number; awaitForever: number; crash: number };
  /** Durations of the attempts that end by themselves (the budgets are 30, 100 or 150 ms: ties on purpose). */
  durations: number[];
  maxRuns: number;
  maxTasks: number;
  maxChunk: number;
  /** Host events to draw from (at most `maxHost`). */
  host: Array<HostEvent['kind']>;
  maxHost: number;
  /** Allow threads that fail to start. */
  startFaults: boolean;
  /** One-way message latencies to draw from (0 lets tiny tasks be handed over in groups). */
  latencies: number[];
  /** Each run starts with this many instant successes (the engine then hands tasks over in groups). */
  warmup: number;
}

/** A bit of everything. */
export const MIXED: ScheduleShape = {
  weights: { ok: 6, throw: 3, busyHang: 1, awaitForever: 1, crash: 1 },
  durations: [0, 1, 5, 20, 30, 50, 100, 150, 200],
  maxRuns: 3,
  maxTasks: 8,
  maxChunk: 6,
  host: ['stall', 'runNow', 'close'],
  maxHost: 3,
  startFaults: true,
  latencies: [0, 0, 1],
  warmup: 0,
};

/** Mostly tiny tasks, so that they are handed over in groups, with failures among them (and many letters while the store fails). */
export const FAST: ScheduleShape = {
  weights: { ok: 12, throw: 2, busyHang: 1, awaitForever: 1, crash: 1 },
  durations: [0, 0, 0, 1, 1, 30, 100, 150],
  maxRuns: 2,
  maxTasks: 24,
  maxChunk: 12,
  host: ['runNow', 'close', 'storeFails'],
  maxHost: 2,
  startFaults: false,
  latencies: [0],
  warmup: 6,
};

/** Hangs, crashes and stuck threads: kill grace, terminate, restarts, escalation. */
export const HANGS: ScheduleShape = {
  weights: { ok: 3, throw: 1, busyHang: 3, awaitForever: 3, crash: 2 },
  durations: [0, 1, 20, 30, 100, 150],
  maxRuns: 3,
  maxTasks: 6,
  maxChunk: 4,
  host: ['close'],
  maxHost: 1,
  startFaults: true,
  latencies: [0, 0, 1],
  warmup: 0,
};

/** The host misbehaves: stalls (late fires), wall-clock jumps, runNow, close at any time, store writes failing for a while. */
export const HOST: ScheduleShape = {
  weights: { ok: 6, throw: 2, busyHang: 1, awaitForever: 1, crash: 1 },
  durations: [0, 1, 20, 30, 100, 150, 200],
  maxRuns: 3,
  maxTasks: 5,
  maxChunk: 4,
  host: ['stall', 'stall', 'wallJump', 'runNow', 'runNow', 'close', 'storeFails', 'storeFails'],
  maxHost: 6,
  startFaults: false,
  latencies: [0, 0, 1],
  warmup: 0,
};

export function fateArb(shape: ScheduleShape): fc.Arbitrary<Fate> {
  const w = shape.weights;
  const d = ms(shape.durations);
  return fc.oneof(
    { weight: w.ok, arbitrary: d.map((m): Fate => ({ kind: 'ok', ms: m })) },
    {
      weight: w.throw,
      arbitrary: fc
        .record({ error: fc.constantFrom<ThrowKind>('data', 'trip', 'trip', 'fatal', 'unrecoverable'), ms: d })
        .map((r): Fate => ({ kind: 'throw', ...r })),
    },
    { weight: w.busyHang, arbitrary: ms([0, 1, 10, 100, 1000]).map((exitMs): Fate => ({ kind: 'busyHang', exitMs })) },
    { weight: w.awaitForever, arbitrary: fc.boolean().map((honoursAbort): Fate => ({ kind: 'awaitForever', honoursAbort })) },
    { weight: w.crash, arbitrary: d.map((m): Fate => ({ kind: 'crash', ms: m })) },
  );
}

const startArb: fc.Arbitrary<StartFate> = fc.oneof(
  { weight: 12, arbitrary: ms([0, 1, 10, 100]).map((m): StartFate => ({ kind: 'ready', ms: m })) },
  { weight: 2, arbitrary: ms([0, 10, 300]).map((m): StartFate => ({ kind: 'ready', ms: m })) },
  { weight: 2, arbitrary: ms([0, 5]).map((m): StartFate => ({ kind: 'exit', ms: m })) },
  { weight: 1, arbitrary: fc.constant<StartFate>({ kind: 'loadFailed' }) },
);

export const configArb = (shape: ScheduleShape): fc.Arbitrary<SimConfig> => fc
  .record({
    workers: fc.integer({ min: 1, max: 3 }),
    spareWorkers: fc.integer({ min: 0, max: 1 }),
    chunkSize: fc.integer({ min: 1, max: shape.maxChunk }),
    earlyChunks: fc.integer({ min: 0, max: 2 }),
    chunkFailureRatio: fc.constantFrom(1, 0.5),
    taskMs: ms([30, 100, 150]),
    chunkX: fc.constantFrom(1, 2, 4, 20),
    batchX: fc.constantFrom(1, 2, 8),
    jobX: fc.constantFrom(1, 2),
    heartbeatMs: fc.option(ms([20, 60]), { nil: undefined }),
    pingMs: fc.option(ms([10, 40]), { nil: undefined }),
    killGraceMs: ms([1, 20, 50]),
    terminateMs: ms([10, 50]),
    startMs: ms([50, 200]),
    attempts: fc.integer({ min: 1, max: 3 }),
    backoffMs: ms([0, 10, 100]),
    threshold: fc.integer({ min: 1, max: 4 }),
    cooldownMs: ms([100, 1000]),
    intensity: fc.integer({ min: 0, max: 6 }),
    periodMs: ms([100, 1000]),
    maxInstances: fc.integer({ min: 1, max: 2 }),
    coalesce: fc.boolean(),
    misfireGraceMs: ms([0, 50, 500]),
    everyMs: ms([100, 300, 1000]),
    latencyMs: fc.constantFrom(...shape.latencies),
  })
  .map(({ chunkX, batchX, jobX, ...c }): SimConfig => {
    const chunkMs = c.taskMs * chunkX;
    const batchMs = chunkMs * batchX;
    return { ...c, chunkMs, batchMs, jobMs: batchMs * jobX };
  });

export function scheduleArb(shape: ScheduleShape = MIXED): fc.Arbitrary<Schedule> {
  const plan = fc.array(fateArb(shape), { minLength: 1, maxLength: 3 });
  const warm: TaskPlan[] = Array.from({ length: shape.warmup }, () => [{ kind: 'ok', ms: 0 }]);
  const tasks = fc.array(plan, { maxLength: shape.maxTasks }).map((t) => [...warm, ...t]);
  const runs = fc.array(tasks, { minLength: 1, maxLength: shape.maxRuns });
  const starts = fc.array(fc.array(shape.startFaults ? startArb : fc.constant<StartFate>({ kind: 'ready', ms: 0 }), { maxLength: 4 }), {
    maxLength: shape.maxRuns,
  });
  const at = fc.integer({ min: 0, max: 3000 });
  const hostArb = fc.oneof(
    ...shape.host.map((kind): fc.Arbitrary<HostEvent> => {
      switch (kind) {
        case 'stall':
          return fc.record({ at, ms: ms([1, 50, 400, 2500]) }).map((r): HostEvent => ({ kind: 'stall', ...r }));
        case 'wallJump':
          return fc.record({ at, ms: ms([-500, -50, 50, 500, 5000]) }).map((r): HostEvent => ({ kind: 'wallJump', ...r }));
        case 'runNow':
          return at.map((a): HostEvent => ({ kind: 'runNow', at: a }));
        case 'close':
          return fc.record({ at, graceMs: ms([0, 50, 1000]) }).map((r): HostEvent => ({ kind: 'close', ...r }));
        case 'storeFails':
          // from a blip (one flush) to past the end (the close's last flush fails too)
          return fc
            .record({ at, ms: ms([1, 50, 120, 400, 1500, 10_000]), code: fc.constantFrom<StoreFailCode>('SQLITE_FULL', 'SQLITE_IOERR') })
            .map((r): HostEvent => ({ kind: 'storeFails', ...r }));
      }
    }),
  );
  return fc
    .record({
      config: configArb(shape),
      runs,
      starts,
      host: fc.array(hostArb, { maxLength: shape.maxHost }),
      /** Fires before the horizon, beyond the runs planned (1: as many as planned). */
      extraFires: fc.integer({ min: 0, max: 2 }),
    })
    .map(({ extraFires, ...s }) =>
      withText({
        ...s,
        host: [...s.host].sort((a, b) => a.at - b.at),
        // close() a little after the last planned fire, unless a host event closes first
        horizonMs: s.config.everyMs * (s.runs.length + extraFires) + 1,
      }),
    );
}
