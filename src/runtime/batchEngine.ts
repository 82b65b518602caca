import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { createActor, type Actor, type ActorRefFrom } from 'xstate';
import { isFatalError } from '../errors/FatalError.js';
import { isJobTimeoutError } from '../errors/JobTimeoutError.js';
import { TaskModuleError } from '../errors/TaskModuleError.js';
import { TaskTimeoutError } from '../errors/TaskTimeoutError.js';
import { isUnrecoverableError } from '../errors/UnrecoverableError.js';
import { batchMachine, type BatchStatus, type BatchStopReason } from '../machines/batch.machine.js';
import type { chunkMachine, ChunkEnded } from '../machines/chunk.machine.js';
import type { circuitMachine } from '../machines/circuit.machine.js';
import { DEAD_LETTER_REASONS, type CancelReason, type DeadLetterReason } from '../machines/deadLetterReason.js';
import { poolMachine, workerId } from '../machines/pool.machine.js';
import { stepTask, type TaskStep } from '../machines/stepTask.js';
import { workerMachine, type WorkerFinished, type WorkerSettled } from '../machines/worker.machine.js';
import type { SerializedError } from '../machines/workerProtocol.js';
import type { BatchEvent } from './batchEvent.js';
import type { BatchSummary } from './batchSummary.js';
import { monotonicOf } from './clock.js';
import { crashError } from './crashError.js';
import type { DeadLetter } from './deadLetter.js';
import type { ResolvedOptions } from './resolveOptions.js';
import { SourceReader } from './sourceReader.js';
import { cancelReasonOf, plainError, stopError } from './stopError.js';
import { createTaskRecord, type TaskRecord } from './taskRecord.js';

type WorkerRef = ActorRefFrom<typeof workerMachine>;

/** After a failure, this many hand-overs carry one task each: a failing dependency (and the
 * circuit watching it) then sees one task at a time, not a queued group. */
const SINGLE_AFTER_FAILURE = 64;

const UNRETRYABLE_CODES = new Set(['ERR_WARDEN_UNCLONABLE_INPUT', 'ERR_WARDEN_INVALID_KEY']);

/**
 * Runs one batch: reads the source a chunk at a time, hands tasks to idle worker slots,
 * applies the task machine's transitions to plain records (`stepTask`) and reacts to
 * what the machines decide (timeouts, circuit, chunk outcome, escalation, stop).
 * Every wait lives in a machine; this class holds the queues and the counts.
 */
export class BatchEngine<I> {
  readonly id = randomUUID();
  private readonly o: ResolvedOptions<I>;
  private readonly log: Logger;
  private readonly reader: SourceReader<I>;
  private root!: Actor<typeof batchMachine>;
  private chunk!: ActorRefFrom<typeof chunkMachine>;
  private circuit!: ActorRefFrom<typeof circuitMachine>;
  private readonly workers: WorkerRef[] = [];

  private phase: 'starting' | 'running' | 'stopping' | 'done' = 'starting';
  private readonly idle: number[] = [];
  /** Records handed to each busy slot, in order: the first is running, the rest wait in its thread. */
  private readonly handed = new Map<number, TaskRecord<I>[]>();
  /** Mean task time (ms, moving average): decides how many tasks to hand over at once.
   * It starts high (one at a time) and learns from the first few tasks. */
  private meanTaskMs = 5;
  /** Handovers still limited to one task after a failure. */
  private singleHandovers = 0;
  /** Why tasks handed back by a stopping worker are dead-lettered (set while cancelling). */
  private cancelling: CancelReason = 'aborted';
  private queue: TaskRecord<I>[] = [];
  private queueHead = 0;
  private waiting: TaskRecord<I>[] = [];
  private chunkIndex = -1;
  private chunkOpen = false;
  private chunkTotal = 0;
  private chunkSucceeded = 0;
  private chunkDeadLettered = 0;
  private circuitDirty = false;
  private seq = 0;
  private pumping = false;
  private pumpAgain = false;

  private total = 0;
  /** Position in the source of the next input read (inputs skipped on a resume included). */
  private position = 0;
  /** Chunks with tasks not yet ended for good (only tracked when someone records progress). */
  private readonly chunkLeft = new Map<number, { size: number; left: number; succeeded: number }>();
  private succeeded = 0;
  private deadLettered = 0;
  private readonly byReason = Object.fromEntries(DEAD_LETTER_REASONS.map((r) => [r, 0])) as Record<DeadLetterReason, number>;
  private chunksCompleted = 0;
  private chunksFailed = 0;
  private workerRestarts = 0;
  private stuckThreads = 0;
  private stoppedWorkers = 0;
  private drained = false;
  private status: BatchStatus = 'failed';
  private stopReason: BatchStopReason | undefined;
  private moduleError: TaskModuleError | undefined;
  /** Wall-clock start (the summary's `startedAt`). */
  private readonly startedAt: number;
  /** The clock's monotonic reading (`monotonicOf`): task deadlines, retry delays, durations. A wall-clock step does not move them. */
  private readonly elapsed: () => number;
  private readonly startedElapsed: number;
  private resolve!: (s: BatchSummary) => void;
  private reject!: (e: unknown) => void;
  private readonly onAbort = () => this.root.send({ type: 'ABORT' });
  /** Per-task debug lines are built only when debug is on (a million tasks, a million objects otherwise). */
  private readonly debug: boolean;

  constructor(options: ResolvedOptions<I>) {
    this.o = options;
    this.log = options.logger.child({ batchId: this.id });
    this.debug = this.log.isLevelEnabled('debug');
    this.reader = new SourceReader(options.source);
    this.startedAt = options.clock.now();
    this.elapsed = monotonicOf(options.clock);
    this.startedElapsed = this.elapsed();
  }

  /** Starts the batch; resolves with its summary once every worker is gone. */
  run(): Promise<BatchSummary> {
    return new Promise<BatchSummary>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      this.start();
    });
  }

  private start(): void {
    const o = this.o;
    const worker = workerMachine.provide({
      actors: { thread: o.workerLogic({ moduleUrl: o.moduleUrl, logger: this.log, clock: o.clock, resourceLimits: o.resourceLimits }) },
    });
    const pool = poolMachine.provide({ actors: { worker } });
    const machine = batchMachine.provide({ actors: { pool } });
    const threads = o.workers + o.spareWorkers;
    this.root = createActor(machine, {
      clock: o.clock,
      inspect: o.inspect,
      input: {
        batchMs: o.batchMs,
        earlyChunks: o.earlyChunks,
        stopMs: o.killGraceMs + o.terminateMs * 2 + 1000,
        chunk: { chunkMs: o.chunkMs, failureRatio: o.chunkFailureRatio },
        circuit: { threshold: o.circuit.threshold, cooldownMs: o.circuit.cooldownMs },
        pool: {
          threads,
          intensity: o.restarts.intensity,
          periodMs: o.restarts.periodMs,
          worker: {
            taskMs: o.policy.taskMs,
            heartbeatMs: o.heartbeatMs,
            pingMs: o.pingMs,
            killGraceMs: o.killGraceMs,
            startTimeoutMs: o.startMs,
            terminateTimeoutMs: o.terminateMs,
            restartBackoff: o.restarts.backoff,
          },
        },
      },
    });
    this.root.on('stopping', (e) => this.onStopping(e.status, e.reason));
    this.root.subscribe({
      complete: () => this.finish(),
      error: (err) => this.internalError(err),
    });
    this.log.info({ workers: o.workers, chunkSize: o.chunkSize, taskMs: o.policy.taskMs }, 'batch started');
    this.root.start();

    const system = this.root.system;
    this.chunk = system.get('chunk');
    this.circuit = system.get('circuit');
    const poolRef = system.get('pool') as ActorRefFrom<typeof poolMachine>;
    poolRef.on('escalated', (e) => {
      this.log.error({ restarts: e.restarts, periodMs: e.periodMs }, 'worker restart intensity exceeded');
      this.root.send({ type: 'ESCALATED' });
    });
    poolRef.on('restarted', (e) => {
      this.workerRestarts++;
      this.log.warn({ slot: e.slot }, 'worker replaced');
      this.report({ type: 'worker.restarted', slot: e.slot });
    });
    for (let slot = 0; slot < threads; slot++) {
      const w = system.get(workerId(slot)) as WorkerRef;
      this.workers.push(w);
      w.on('idle', (e) => this.onIdle(e.slot));
      w.on('settled', (e) => this.onSettled(e));
      w.on('finished', (e) => this.onFinished(e));
      w.on('loadFailed', (e) => this.onLoadFailed(e.error));
      w.on('stuck', (e) => {
        this.stuckThreads++;
        this.log.error({ slot: e.slot }, 'a terminated worker thread did not exit; replaced without waiting for it');
        this.report({ type: 'worker.stuck', slot: e.slot });
      });
      w.on('stopped', () => {
        this.stoppedWorkers++;
        this.maybeStopped();
      });
    }
    this.chunk.on('ended', (e) => this.onChunkEnded(e));
    this.chunk.on('wake', () => this.onWake());
    this.circuit.on('opened', (e) => {
      this.log.error({ failures: e.failures }, 'circuit opened');
      this.report({ type: 'circuit.opened', failures: e.failures });
      this.root.send({ type: 'CIRCUIT_OPENED' });
    });

    if (o.signal?.aborted) this.root.send({ type: 'ABORT' });
    else o.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Hands an event to `options.onEvent`; an exception there is logged, never fatal. */
  private report(event: BatchEvent): void {
    const cb = this.o.onEvent;
    if (!cb) return;
    try {
      cb(event);
    } catch (err) {
      this.log.error({ err, event: event.type }, 'options.onEvent threw; the batch goes on');
    }
  }

  // ── workers ──────────────────────────────────────────────────────────────

  private onIdle(slot: number): void {
    this.idle.push(slot);
    if (this.phase === 'starting') {
      this.phase = 'running';
      this.root.send({ type: 'WORKER_READY' });
      void this.nextChunk();
      return;
    }
    this.pump();
  }

  private onLoadFailed(error: SerializedError): void {
    if (this.phase !== 'starting' || this.moduleError) return;
    this.moduleError = new TaskModuleError(`options.task: the task module ${this.o.moduleUrl} cannot be used: ${error.message}`, {
      cause: error,
    });
    this.log.error({ err: error }, 'task module failed to load');
    this.root.send({ type: 'ABORT' });
  }

  /** Hands queued tasks to idle slots, up to `workers` at once. Re-entrant calls are folded. */
  private pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        while (this.idle.length > 0 && this.handed.size < this.o.workers) {
          const slot = this.idle[this.idle.length - 1] as number;
          if (!this.inState(slot, 'idle')) {
            // it left idle since (its thread died, it is stopping): not a slot to give work to
            this.idle.pop();
            continue;
          }
          const recs = this.takeBatch();
          if (recs.length === 0) break;
          this.idle.pop();
          this.handed.set(slot, recs);
          (this.workers[slot] as WorkerRef).send({ type: 'RUN', tasks: recs.map((r) => this.assignment(r)), at: this.elapsed() });
        }
      } while (this.pumpAgain);
    } finally {
      this.pumping = false;
    }
  }

  /**
   * The next tasks of the open chunk to hand to one worker; the first is marked running.
   * Tiny tasks go several at a time (fewer messages and events); tasks of a millisecond
   * or more go one at a time, so no worker sits on a queue another could be running.
   */
  private takeBatch(): TaskRecord<I>[] {
    const left = this.queue.length - this.queueHead;
    let want = this.meanTaskMs < 0.5 ? 32 : this.meanTaskMs < 2 ? 4 : 1;
    if (this.singleHandovers > 0) {
      this.singleHandovers--;
      want = 1;
    }
    const n = Math.max(1, Math.min(want, Math.ceil(left / this.o.workers)));
    const out: TaskRecord<I>[] = [];
    while (out.length < n && this.phase === 'running' && this.chunkOpen && this.queueHead < this.queue.length) {
      const rec = this.queue[this.queueHead++] as TaskRecord<I>;
      if (rec.invalid) {
        // It cannot be dispatched: it fails its one attempt without reaching a worker.
        stepTask(rec.state, { type: 'dispatch' }, this.o.policy);
        this.settleFailure(rec, { type: 'failed', failure: 'error', retryable: false }, rec.invalid);
        continue;
      }
      rec.seq = ++this.seq;
      out.push(rec);
    }
    if (out[0]) this.startRunning(out[0]);
    return out;
  }

  /** A handed-over task starts in its thread: the task machine's dispatch. */
  private startRunning(rec: TaskRecord<I>): void {
    stepTask(rec.state, { type: 'dispatch' }, this.o.policy);
    rec.startedAt = this.elapsed();
  }

  /** Whether worker `slot` is in `alive.<state>` now (its snapshot is current, even mid-event). */
  private inState(slot: number, state: 'idle' | 'busy'): boolean {
    return (this.workers[slot] as WorkerRef).getSnapshot().matches({ alive: state });
  }

  private assignment(rec: TaskRecord<I>) {
    // a waiting task will start as the next attempt
    const attempt = rec.state.status === 'running' ? rec.state.attempt : rec.state.attempt + 1;
    return { seq: rec.seq, key: rec.key, input: rec.input, attempt };
  }

  /** A busy slot's thread ran out of tasks: hand it more, or let it go idle. */
  private continueSlot(slot: number): void {
    this.handed.delete(slot);
    if (!this.inState(slot, 'busy')) return;
    const w = this.workers[slot] as WorkerRef;
    const recs = this.handed.size < this.o.workers ? this.takeBatch() : [];
    if (recs.length > 0) {
      this.handed.set(slot, recs);
      w.send({ type: 'NEXT', tasks: recs.map((r) => this.assignment(r)), at: this.elapsed() });
    } else {
      w.send({ type: 'RELEASE' });
    }
  }

  /**
   * The slot's running task ended by timeout, crash or cancel: the worker hands back the
   * tasks waiting behind it (its `returned` event). They never started: run them later,
   * or dead-letter them when their chunk or batch has stopped.
   */
  private takeBack(slot: number): void {
    const recs = this.handed.get(slot) ?? [];
    this.handed.delete(slot);
    const requeue: TaskRecord<I>[] = [];
    for (const rec of recs) {
      if (this.phase === 'running' && this.chunkOpen && rec.chunk === this.chunkIndex) requeue.push(rec);
      else this.cancelRecord(rec, this.cancelling, stopError(this.cancelling, 'the task never started'));
    }
    if (requeue.length > 0) this.queue.splice(this.queueHead, 0, ...requeue);
  }

  /** Tasks that finished in their thread, in order: the hot path. */
  private onFinished(e: WorkerFinished): void {
    const recs = this.handed.get(e.slot);
    if (!recs) return;
    const now = this.elapsed();
    let tripped = false;
    for (const r of e.results) {
      const i = recs[0]?.seq === r.task.seq ? 0 : recs.findIndex((x) => x.seq === r.task.seq);
      if (i < 0) continue;
      const rec = recs[i] as TaskRecord<I>;
      recs.splice(i, 1);
      // finished before its turn (its input could not be sent): it started and ended at once
      if (rec.state.status === 'queued') this.startRunning(rec);
      const ms = now - rec.startedAt;
      this.meanTaskMs = this.meanTaskMs * 0.8 + ms * 0.2;
      this.o.observer?.task(ms);
      if (r.error === undefined) this.succeed(rec);
      else if (this.fail(rec, r.error)) tripped = true;
    }
    // the next task in the thread has started
    if (recs[0] && recs[0].state.status === 'queued') this.startRunning(recs[0]);
    // a dependency in trouble sees one task at a time; a data error says nothing about it
    if (tripped) this.singleHandovers = SINGLE_AFTER_FAILURE;
    if (e.drained) this.continueSlot(e.slot);
    this.pump();
  }

  private succeed(rec: TaskRecord<I>): void {
    stepTask(rec.state, { type: 'succeeded' }, this.o.policy);
    this.succeeded++;
    if (this.debug) this.log.debug({ key: rec.key, chunk: rec.chunk, attempt: rec.state.attempt }, 'task succeeded');
    // The circuit only needs a success when it has counted failures (saves an event per task).
    if (this.circuitDirty) {
      this.circuitDirty = false;
      this.circuit.send({ type: 'SUCCESS' });
    }
    this.settledInChunk(rec, true);
    if (this.chunkLeft.size > 0) this.settledForGood(rec, true);
  }

  /** The task threw: retried, dead-lettered, or (FatalError) the batch aborts. */
  /** Returns true when the error counted toward the circuit. */
  private fail(rec: TaskRecord<I>, error: SerializedError): boolean {
    const fatal = isFatalError(error);
    const retryable = !fatal && !isUnrecoverableError(error) && !UNRETRYABLE_CODES.has(String(error.code));
    this.settleFailure(rec, { type: 'failed', failure: 'error', retryable }, error);
    if (fatal) {
      this.log.error({ key: rec.key, err: error }, 'fatal task error: aborting the batch');
      this.root.send({ type: 'FATAL' });
      return false;
    }
    return this.countTrip(error);
  }

  /** An attempt failed: it counts toward the circuit when `circuit.trips` says so (returns whether it did). */
  private countTrip(error: SerializedError): boolean {
    if (!this.tripsCircuit(error)) return false;
    this.o.observer?.trip();
    this.circuitDirty = true;
    this.circuit.send({ type: 'TRIP' });
    return true;
  }

  /** The supervisor ended the running task (timeout, crash, cancel); the slot leaves `busy`. */
  private onSettled(e: WorkerSettled): void {
    const recs = this.handed.get(e.slot);
    const rec = recs?.[0];
    if (!recs || !rec || rec.seq !== e.task.seq) return;
    recs.shift();
    this.singleHandovers = SINGLE_AFTER_FAILURE;
    this.takeBack(e.slot);
    switch (e.outcome) {
      case 'ok':
        this.succeed(rec);
        break;
      case 'error':
        this.fail(rec, e.error);
        break;
      case 'timeout': {
        const error = plainError(new TaskTimeoutError(this.timeoutMessage(e.detail)));
        this.settleFailure(rec, { type: 'failed', failure: 'timeout', retryable: true }, error);
        // a dependency that hangs (the postmortem's dead connection) shows up as timeouts
        this.countTrip(error);
        break;
      }
      case 'crash':
        this.settleFailure(rec, { type: 'failed', failure: 'crash', retryable: true }, crashError(e.code, e.error));
        break;
      case 'cancelled':
        this.settleFailure(rec, { type: 'cancel', reason: e.reason }, stopError(e.reason, 'the task was stopped in flight'));
        break;
    }
    this.pump();
  }

  private timeoutMessage(detail: 'deadline' | 'heartbeat' | 'ping'): string {
    switch (detail) {
      case 'deadline':
        return `the task ran past its budget of ${this.o.policy.taskMs} ms`;
      case 'heartbeat':
        return `the task sent no heartbeat for ${this.o.heartbeatMs} ms`;
      case 'ping':
        return `the worker's event loop did not answer a ping within ${this.o.pingMs} ms`;
    }
  }

  private tripsCircuit(error: SerializedError): boolean {
    try {
      return this.o.circuit.trips(error) === true;
    } catch (err) {
      this.log.error({ err }, 'options.circuit.trips threw; counting the error as not tripping');
      return false;
    }
  }

  /** Applies a failing step; the record ends dead-lettered or waits for its retry. */
  private settleFailure(rec: TaskRecord<I>, step: TaskStep, error: SerializedError): void {
    const now = this.o.clock.now();
    if (rec.lastError === undefined) rec.firstFailedAt = now;
    rec.lastError = error;
    stepTask(rec.state, step, this.o.policy);
    if (rec.state.status === 'retryWait') {
      rec.dueAt = this.elapsed() + rec.state.retryDelayMs;
      if (this.debug) this.log.debug({ key: rec.key, chunk: rec.chunk, attempt: rec.state.attempt, delayMs: rec.state.retryDelayMs, err: error.message }, 'task will be retried');
      this.waiting.push(rec);
      this.armWake();
      return;
    }
    this.deadLetter(rec, now);
  }

  private deadLetter(rec: TaskRecord<I>, now: number): void {
    const reason = rec.state.reason as DeadLetterReason;
    this.deadLettered++;
    this.byReason[reason]++;
    // its own failure at warn; a task ended by its chunk or batch stopping at debug (the stop is logged once, at warn)
    const own = reason === 'timeout' || reason === 'error' || reason === 'crash';
    if (own || this.debug) {
      const fields = { key: rec.key, chunk: rec.chunk, reason, attempts: rec.state.attempt, err: rec.lastError?.message, ...(this.o.logInputs ? { input: rec.input } : {}) };
      if (own) this.log.warn(fields, 'task dead-lettered');
      else this.log.debug(fields, 'task dead-lettered');
    }
    const cb = this.o.onDeadLetter;
    if (!cb) {
      this.settledInChunk(rec, false);
      if (this.chunkLeft.size > 0) this.settledForGood(rec, false);
      return;
    }
    const letter: DeadLetter<I> = {
      key: rec.key,
      index: rec.index,
      input: rec.input,
      reason,
      error: rec.lastError as SerializedError,
      attempts: rec.state.attempt,
      firstFailedAt: new Date(rec.firstFailedAt),
      lastFailedAt: new Date(now),
    };
    try {
      cb(letter);
    } catch (err) {
      this.log.error({ err, key: rec.key }, 'options.onDeadLetter threw; the dead letter is still counted');
    }
    // after the letter is handed over: whoever hears `chunk.ended` finds the chunk's letters
    // delivered, and a store writes the chunk's progress behind its letters
    this.settledInChunk(rec, false);
    if (this.chunkLeft.size > 0) this.settledForGood(rec, false);
  }

  /** Counts a task of the open chunk that ended for good; the last one completes the chunk. */
  private settledInChunk(rec: TaskRecord<I>, ok: boolean): void {
    if (rec.chunk !== this.chunkIndex || !this.chunkOpen) return;
    if (ok) this.chunkSucceeded++;
    else this.chunkDeadLettered++;
    if (this.chunkSucceeded + this.chunkDeadLettered === this.chunkTotal) {
      this.chunk.send({ type: 'COMPLETE', succeeded: this.chunkSucceeded, deadLettered: this.chunkDeadLettered });
    }
  }

  // ── retries ──────────────────────────────────────────────────────────────

  private armWake(): void {
    if (this.waiting.length === 0) {
      this.chunk.send({ type: 'DISARM' });
      return;
    }
    let due = Infinity;
    for (const r of this.waiting) due = Math.min(due, r.dueAt);
    this.chunk.send({ type: 'WAKE_IN', delayMs: Math.max(0, due - this.elapsed()) });
  }

  private onWake(): void {
    const now = this.elapsed();
    const still: TaskRecord<I>[] = [];
    for (const r of this.waiting) {
      if (r.dueAt <= now) {
        stepTask(r.state, { type: 'retryDue' }, this.o.policy);
        this.queue.push(r);
      } else still.push(r);
    }
    this.waiting = still;
    if (still.length > 0) this.armWake();
    this.pump();
  }

  // ── chunks ───────────────────────────────────────────────────────────────

  /**
   * Reads the next chunk from the source and starts it, or reports the source done. Chunk
   * `c` holds source positions [c·chunkSize, (c+1)·chunkSize); on a resume, positions the
   * earlier run settled are read but skipped, and a chunk left empty is passed over.
   */
  private async nextChunk(): Promise<void> {
    const size = this.o.chunkSize;
    let index = Math.floor(this.position / size);
    try {
      for (;;) {
        const end = (index + 1) * size;
        while (this.position < end) {
          const r = this.reader.isAsync ? await this.reader.next() : this.reader.nextSync();
          if (this.phase !== 'running') {
            // Stopped while reading: the drain has taken what was filled; this one goes the same way.
            if (!r.done) {
              const rec = this.recordAt(r.value, -1);
              if (rec) this.strand(rec);
            }
            return;
          }
          if (r.done) break;
          const rec = this.recordAt(r.value, index);
          if (rec) this.filling.push(rec);
        }
        if (this.filling.length > 0 || this.reader.done || this.position < end) break;
        index++; // every task of this chunk was settled by the run resumed: on to the next
      }
    } catch (err) {
      this.log.error({ err }, 'the source threw while being read');
      this.sourceError = err;
      this.root.send({ type: 'SOURCE_FAILED' });
      return;
    }
    const records = this.filling;
    this.filling = [];
    if (records.length === 0) {
      this.root.send({ type: 'SOURCE_DONE', deadLettered: this.deadLettered });
      return;
    }
    this.chunkIndex = index;
    if (this.o.onChunkSettled) this.chunkLeft.set(index, { size: records.length, left: records.length, succeeded: 0 });
    this.queue = records;
    this.queueHead = 0;
    this.chunkOpen = true;
    this.chunkTotal = records.length;
    this.chunkSucceeded = 0;
    this.chunkDeadLettered = 0;
    this.log.debug({ chunk: index, size: records.length }, 'chunk started');
    this.chunk.send({ type: 'START', index, size: records.length });
    this.pump();
  }

  /** Records read for the next chunk, not started yet. */
  private filling: TaskRecord<I>[] = [];
  private sourceError: unknown;
  private stopLetter: ((rec: TaskRecord<I>) => void) | undefined;

  /** A record read after the stop began: dead-lettered with the stop's reason (unless the batch is over). */
  private strand(rec: TaskRecord<I>): void {
    if (this.phase === 'stopping' && this.stopLetter) this.stopLetter(rec);
  }

  /** The record for the input at the next source position, or undefined when a resume skips that position. */
  private recordAt(input: I, chunk: number): TaskRecord<I> | undefined {
    if (this.o.skip?.(this.position)) {
      this.position++;
      return undefined;
    }
    this.total++;
    return createTaskRecord(input, this.position++, chunk, this.o.key);
  }

  /** A task ended for good: the last of its chunk to end reports the chunk settled (its progress can be stored). */
  private settledForGood(rec: TaskRecord<I>, ok: boolean): void {
    const c = this.chunkLeft.get(rec.chunk);
    if (!c) return;
    if (ok) c.succeeded++;
    if (--c.left > 0) return;
    this.chunkLeft.delete(rec.chunk);
    try {
      this.o.onChunkSettled?.({ index: rec.chunk, size: c.size, succeeded: c.succeeded, deadLettered: c.size - c.succeeded });
    } catch (err) {
      this.log.error({ err, chunk: rec.chunk }, 'recording the chunk as settled failed');
    }
  }

  private onChunkEnded(e: ChunkEnded): void {
    this.chunkOpen = false;
    const { type: _ended, ...chunk } = e;
    this.report({ type: 'chunk.ended', ...chunk });
    if (e.timedOut) {
      this.log.warn({ chunk: e.index, succeeded: e.succeeded, deadLettered: e.deadLettered }, 'chunk timed out');
      this.cancelOpenWork('chunk-timeout', `chunk ${e.index} exceeded ${this.o.chunkMs} ms`);
    } else {
      this.log.info({ chunk: e.index, succeeded: e.succeeded, deadLettered: e.deadLettered, failed: e.failed }, 'chunk ended');
    }
    if (e.failed) this.chunksFailed++;
    else this.chunksCompleted++;
    this.root.send({ type: 'CHUNK_ENDED', failed: e.failed });
    if (this.phase === 'running') void this.nextChunk();
  }

  /** Dead-letters the queued and waiting tasks and cancels those in flight. */
  private cancelOpenWork(reason: CancelReason, detail: string): void {
    const error = stopError(reason, detail);
    this.cancelling = reason;
    const queued = this.queue;
    const head = this.queueHead;
    this.queue = [];
    this.queueHead = 0;
    for (let i = head; i < queued.length; i++) this.cancelRecord(queued[i] as TaskRecord<I>, reason, error);
    const waiting = this.waiting;
    this.waiting = [];
    this.chunk.send({ type: 'DISARM' });
    for (const rec of waiting) this.cancelRecord(rec, reason, error);
    for (const [slot] of this.handed) (this.workers[slot] as WorkerRef).send({ type: 'CANCEL', reason });
  }

  /** Ends a task that will not run (again) because its chunk or batch stopped. */
  private cancelRecord(rec: TaskRecord<I>, reason: CancelReason, error: SerializedError): void {
    const now = this.o.clock.now();
    if (rec.lastError === undefined) rec.firstFailedAt = now;
    rec.lastError = error;
    stepTask(rec.state, { type: 'cancel', reason }, this.o.policy);
    this.deadLetter(rec, now);
  }

  // ── stopping ─────────────────────────────────────────────────────────────

  private onStopping(status: BatchStatus, reason: BatchStopReason | undefined): void {
    if (reason === 'aborted' && isJobTimeoutError(this.o.signal?.reason)) {
      // the caller (a scheduled job) aborted at its job budget: a timeout, not a plain abort
      status = 'timedOut';
      reason = 'job-timeout';
    }
    this.phase = 'stopping';
    this.status = status;
    this.stopReason = reason;
    this.o.signal?.removeEventListener('abort', this.onAbort);
    if (reason) this.log.warn({ status, reason }, 'batch stopping');
    const cancel = cancelReasonOf(reason);
    this.chunkOpen = false;
    this.cancelOpenWork(cancel, reason ?? 'stopped');
    this.chunk.send({ type: 'STOP' });
    (this.root.system.get('pool') as ActorRefFrom<typeof poolMachine>).send({ type: 'STOP', reason: cancel });
    void this.drainSource(cancel, reason ?? 'stopped');
  }

  /**
   * Dead-letters what the source still holds, so no input is silently dropped. Bounded by
   * the kill grace: a source that cannot be read to its end by then is left unread
   * (`sourceExhausted: false` in the summary).
   */
  private async drainSource(reason: CancelReason, detail: string): Promise<void> {
    const error = stopError(reason, detail);
    let cutOff = false;
    const timer = this.o.clock.setTimeout(() => {
      cutOff = true;
      this.reader.close();
      this.drained = true;
      this.maybeStopped();
    }, this.o.killGraceMs);
    const letter = (rec: TaskRecord<I>) => {
      if (cutOff) return; // read after the cut-off: past the summary
      const now = this.o.clock.now();
      rec.firstFailedAt = now;
      rec.lastError = error;
      stepTask(rec.state, { type: 'cancel', reason }, this.o.policy);
      this.deadLetter(rec, now);
    };
    this.stopLetter = letter;
    const filled = this.filling;
    this.filling = [];
    for (const rec of filled) letter(rec);
    if (this.moduleError || this.sourceError !== undefined) {
      // A module that cannot load stops the batch before any input is read: leave the source as it is.
      // A source that threw has nothing more to give.
      this.reader.close();
    } else {
      try {
        let n = 0;
        while (!cutOff) {
          const r = this.reader.isAsync ? await this.reader.next() : this.reader.nextSync();
          if (r.done) break;
          const rec = this.recordAt(r.value, -1);
          if (rec) letter(rec);
          if (++n % 1000 === 0) await new Promise<void>((res) => setImmediate(res));
        }
      } catch (err) {
        this.log.error({ err }, 'the source threw while being drained');
      }
    }
    if (cutOff) return;
    this.o.clock.clearTimeout(timer);
    this.drained = true;
    this.maybeStopped();
  }

  private maybeStopped(): void {
    if (this.phase !== 'stopping') return;
    if (this.stoppedWorkers < this.workers.length) return;
    if (!this.drained) return;
    // After the current transition: the last worker is still delivering its own completion.
    queueMicrotask(() => {
      // maybeStopped may run twice before this microtask: the batch hears STOPPED once
      if (this.root.getSnapshot().status === 'active') this.root.send({ type: 'STOPPED' });
    });
  }

  private finish(): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.root.stop();
    const endedAt = this.o.clock.now();
    if (this.moduleError) {
      this.reject(this.moduleError);
      return;
    }
    const pending = 0;
    if (this.succeeded + this.deadLettered + pending !== this.total) {
      this.log.error({ total: this.total, succeeded: this.succeeded, deadLettered: this.deadLettered }, 'task counts do not add up');
    }
    const summary: BatchSummary = {
      status: this.status,
      reason: this.stopReason,
      total: this.total,
      succeeded: this.succeeded,
      deadLettered: this.deadLettered,
      pending,
      byReason: { ...this.byReason },
      chunks: { completed: this.chunksCompleted, failed: this.chunksFailed },
      workerRestarts: this.workerRestarts,
      stuckThreads: this.stuckThreads,
      sourceExhausted: this.reader.exhausted,
      startedAt: new Date(this.startedAt),
      endedAt: new Date(endedAt),
      durationMs: Math.round(this.elapsed() - this.startedElapsed),
    };
    this.log.info(
      { status: summary.status, reason: summary.reason, total: summary.total, succeeded: summary.succeeded, deadLettered: summary.deadLettered, durationMs: summary.durationMs },
      'batch finished',
    );
    this.resolve(summary);
  }

  private internalError(err: unknown): void {
    if (this.phase === 'done') return;
    this.phase = 'done';
    this.log.error({ err }, 'internal error in the batch supervisor');
    this.o.signal?.removeEventListener('abort', this.onAbort);
    this.root.stop();
    this.reject(err);
  }
}
