import { fromCallback } from 'xstate';
import { monotonicOf } from '../../src/runtime/clock.js';
import type { WorkerLogicFactory } from '../../src/actors/workerLogic.js';
import type { ThreadInput } from '../../src/machines/worker.machine.js';
import type { SerializedError, TaskAssignment, TaskResult, ThreadCommand, ThreadEvent } from '../../src/machines/workerProtocol.js';
import { fateOf, type Fate, type Schedule, type StartFate, type ThrowKind } from './schedule.js';
import type { SimClock } from './simClock.js';

/** A task input of the simulation: run n, task i (its key is `n:i`). */
export interface SimInput {
  run: number;
  i: number;
}

export const simKey = (x: SimInput): string => `${x.run}:${x.i}`;

/** An attempt a simulated thread started. */
export interface TaskStart {
  key: string;
  attempt: number;
  seq: number;
  thread: number;
  at: number;
  order: number;
  fate: Fate;
}

/** A result a simulated thread posted. */
export interface TaskEnd {
  key: string;
  attempt: number;
  seq: number;
  ok: boolean;
  at: number;
}

export interface ThreadLog {
  id: number;
  slot: number;
  createdAt: number;
  exitedAt: number | undefined;
}

/** What the simulated threads of one run saw and did. */
export interface RunLog {
  /** Run number (1-based, in the order the runs called `source()`). */
  n: number;
  runId: string | undefined;
  keysRead: string[];
  starts: TaskStart[];
  ends: TaskEnd[];
  /** `run` commands received from the worker slots (each one a hand-over). */
  handovers: Array<{ at: number; order: number; seqs: number[] }>;
  threads: ThreadLog[];
}

const ERRORS: Record<ThrowKind, SerializedError> = {
  data: { name: 'Error', message: 'simulated bad data' },
  trip: { name: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' },
  fatal: { name: 'FatalError', message: 'simulated fatal error', code: 'ERR_WARDEN_FATAL' },
  unrecoverable: { name: 'UnrecoverableError', message: 'simulated unrecoverable error', code: 'ERR_WARDEN_UNRECOVERABLE' },
};
const ABORT_ERROR: SerializedError = { name: 'AbortError', message: 'the task was aborted by its supervisor' };

/** A message from a thread to the host, as workerEntry.mjs posts them (plus the exit). */
type Posted =
  | { t: 'ok'; seq: number }
  | { t: 'err'; seq: number; error: SerializedError }
  | { t: 'hb'; seq: number }
  | { t: 'pong' }
  | { t: 'ready' }
  | { t: 'loadFailed'; error: SerializedError }
  | { t: 'exit'; code: number; error: SerializedError | undefined };

/**
 * The world the simulated threads live in: the clock, the schedule, and the logs the
 * invariants are checked against. `source()` is the job's source; `workerLogic` replaces
 * the thread actor behind every worker slot.
 */
export class SimWorld {
  /** Global order of logged happenings (several happen at one instant). */
  order = 0;
  readonly runs: RunLog[] = [];
  /** Set by the harness at `run.started`; taken by the next `source()` call. */
  nextRunId: string | undefined;
  private threadIds = 0;

  constructor(
    readonly clock: SimClock,
    readonly schedule: Schedule,
    /**
     * What `abort(seq)` aborts in a thread. `'seq'`: the running task only if it is task
     * `seq` (serveTasks.mjs today). `'fromSeq'`: the running task if it is `seq` or a later
     * one, i.e. one of the tasks handed back with it (the fix proposed for bug 1, see
     * regressions.test.ts).
     */
    readonly abortSemantics: 'seq' | 'fromSeq' = 'seq',
  ) {}

  tick(): number {
    return this.order++;
  }

  /** Threads not exited yet (of every run). */
  liveThreads(): number {
    let n = 0;
    for (const r of this.runs) for (const t of r.threads) if (t.exitedAt === undefined) n++;
    return n;
  }

  /** The job's source: a fresh iterable of run n's tasks, logging what is read. */
  source(): Iterable<SimInput> {
    const log: RunLog = { n: this.runs.length + 1, runId: this.nextRunId, keysRead: [], starts: [], ends: [], handovers: [], threads: [] };
    this.nextRunId = undefined;
    this.runs.push(log);
    const count = this.schedule.runs[log.n - 1]?.length ?? 0;
    return {
      *[Symbol.iterator]() {
        for (let i = 0; i < count; i++) {
          const input = { run: log.n, i };
          log.keysRead.push(simKey(input));
          yield input;
        }
      },
    };
  }

  fate(key: string, attempt: number): Fate {
    const [run, i] = key.split(':').map(Number) as [number, number];
    const plan = this.schedule.runs[run - 1]?.[i];
    return plan ? fateOf(plan, attempt) : { kind: 'ok', ms: 0 };
  }

  /** The worker actor factory: called once per batch, right after that run's `source()`. */
  readonly workerLogic: WorkerLogicFactory = () => {
    const run = this.runs[this.runs.length - 1] as RunLog;
    const starts = this.schedule.starts[run.n - 1] ?? [];
    let created = 0;
    return fromCallback<ThreadCommand, ThreadInput>(({ sendBack, receive, input }) => {
      const start = starts[created++] ?? { kind: 'ready', ms: 0 };
      return this.thread(run, start, input, sendBack as (e: ThreadEvent) => void, receive);
    });
  };

  /**
   * One simulated thread. The thread side mirrors workerEntry.mjs (tasks run one at a
   * time in order; `abort` drops the queue and aborts the running task; pings answered
   * unless the event loop is blocked); the host side mirrors threadActor.ts (results that
   * arrive in one turn go as one RESULTS; a heartbeat or the exit flushes them first).
   * Messages each way take `latencyMs`.
   */
  private thread(
    run: RunLog,
    start: StartFate,
    input: ThreadInput,
    sendBack: (e: ThreadEvent) => void,
    receive: (fn: (cmd: ThreadCommand) => void) => void,
  ): () => void {
    const clock = this.clock;
    const elapsed = monotonicOf(clock);
    const { latencyMs, heartbeatMs } = this.schedule.config;
    const log: ThreadLog = { id: ++this.threadIds, slot: input.slot, createdAt: clock.mono, exitedAt: undefined };
    run.threads.push(log);

    // ── host side (threadActor) ──
    let actorStopped = false;
    let results: TaskResult[] = [];
    let flushScheduled = false;
    const toHost = (e: ThreadEvent) => {
      if (!actorStopped) sendBack(e);
    };
    const flush = () => {
      flushScheduled = false;
      if (results.length === 0) return;
      const batch = results;
      results = [];
      toHost({ type: 'RESULTS', results: batch, at: elapsed() }); // as workerMessages.ts stamps them
    };
    const onMessage = (m: Posted) => {
      switch (m.t) {
        case 'ok':
        case 'err':
          results.push(m.t === 'ok' ? { seq: m.seq } : { seq: m.seq, error: m.error });
          if (!flushScheduled) {
            flushScheduled = true;
            clock.simTimeout(flush, 0); // setImmediate
          }
          return;
        case 'hb':
          flush();
          return toHost({ type: 'HEARTBEAT', seq: m.seq });
        case 'pong':
          return toHost({ type: 'PONG' });
        case 'ready':
          return toHost({ type: 'READY' });
        case 'loadFailed':
          return toHost({ type: 'LOAD_FAILED', error: m.error });
        case 'exit':
          flush();
          return toHost({ type: 'EXITED', code: m.code, error: m.error });
      }
    };
    const post = (m: Posted) => void clock.simTimeout(() => onMessage(m), latencyMs);

    // ── thread side (workerEntry) ──
    let exited = false;
    let terminated = false;
    /** A busy loop is running: nothing else runs in this thread until it is terminated. */
    let blocked: Extract<Fate, { kind: 'busyHang' }> | undefined;
    let queue: TaskAssignment[] = [];
    let current: { task: TaskAssignment; fate: Fate } | undefined;
    const timers = new Set<unknown>();
    const later = (ms: number, fn: () => void) => {
      const id = clock.simTimeout(() => {
        timers.delete(id);
        fn();
      }, ms);
      timers.add(id);
    };
    const stopJs = () => {
      for (const id of timers) clock.clearTimeout(id);
      timers.clear();
      queue = [];
      current = undefined;
    };
    const exit = (code: number, error?: SerializedError) => {
      if (exited) return;
      exited = true;
      stopJs();
      log.exitedAt = clock.mono;
      post({ t: 'exit', code, error });
    };
    const terminate = () => {
      if (exited || terminated) return;
      terminated = true;
      const exitMs = blocked?.exitMs ?? 0;
      stopJs();
      later(exitMs, () => exit(1));
    };

    const finish = (task: TaskAssignment, error: SerializedError | undefined) => {
      if (current?.task !== task) return;
      for (const id of timers) clock.clearTimeout(id); // its heartbeat
      timers.clear();
      current = undefined;
      run.ends.push({ key: task.key, attempt: task.attempt, seq: task.seq, ok: !error, at: clock.mono });
      post(error ? { t: 'err', seq: task.seq, error } : { t: 'ok', seq: task.seq });
      startNext();
    };
    const heartbeat = (task: TaskAssignment) => {
      if (heartbeatMs === undefined) return;
      const every = Math.max(1, Math.floor(heartbeatMs / 2));
      const beat = () => {
        if (current?.task !== task) return;
        post({ t: 'hb', seq: task.seq });
        later(every, beat);
      };
      later(every, beat);
    };
    const startNext = () => {
      const task = queue.shift();
      if (!task) return;
      const fate = this.fate(task.key, task.attempt);
      current = { task, fate };
      run.starts.push({ key: task.key, attempt: task.attempt, seq: task.seq, thread: log.id, at: clock.mono, order: this.tick(), fate });
      switch (fate.kind) {
        case 'ok':
          later(fate.ms, () => finish(task, undefined));
          heartbeat(task);
          return;
        case 'throw':
          later(fate.ms, () => finish(task, ERRORS[fate.error]));
          heartbeat(task);
          return;
        case 'crash':
          later(fate.ms, () => exit(1, { name: 'Error', message: 'simulated crash' }));
          heartbeat(task);
          return;
        case 'busyHang':
          blocked = fate;
          return;
        case 'awaitForever':
          return;
      }
    };
    const onCommand = (cmd: ThreadCommand) => {
      if (exited || terminated || blocked) return; // a blocked loop never reads its messages
      switch (cmd.type) {
        case 'run':
          queue.push(...cmd.tasks);
          if (!current) startNext();
          return;
        case 'abort': {
          queue = [];
          const c = current;
          if (!c || (this.abortSemantics === 'seq' ? c.task.seq !== cmd.seq : c.task.seq < cmd.seq)) return;
          // a task that passes ctx.signal on rejects at once; the dead connection does not
          if (c.fate.kind !== 'awaitForever' || c.fate.honoursAbort) finish(c.task, ABORT_ERROR);
          return;
        }
        case 'ping':
          post({ t: 'pong' });
          return;
        case 'terminate':
          return; // handled on arrival, below
      }
    };

    switch (start.kind) {
      case 'ready':
        later(start.ms, () => post({ t: 'ready' }));
        break;
      case 'exit':
        later(start.ms, () => exit(1, { name: 'Error', message: 'simulated crash at start' }));
        break;
      case 'loadFailed':
        later(0, () => post({ t: 'loadFailed', error: { name: 'SyntaxError', message: 'simulated load failure' } }));
        break;
    }

    receive((cmd) => {
      if (cmd.type === 'run') run.handovers.push({ at: clock.mono, order: this.tick(), seqs: cmd.tasks.map((t) => t.seq) });
      // worker.terminate() stops the thread whatever it is doing; the rest is a message
      if (cmd.type === 'terminate') clock.simTimeout(terminate, latencyMs);
      else clock.simTimeout(() => onCommand(cmd), latencyMs);
    });

    return () => {
      actorStopped = true;
      if (!exited) clock.simTimeout(terminate, latencyMs);
    };
  }
}
