import type { WorkerLogicFactory } from '../actors/workerLogic.js';
import type { Logger } from 'pino';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { JobTimeoutError } from '../errors/JobTimeoutError.js';
import { circuitMachine, type CircuitEmitted } from '../machines/circuit.machine.js';
import { jobMachine, type JobEmitted } from '../machines/job.machine.js';
import type { BatchSummary } from './batchSummary.js';
import type { WardenClock } from './clock.js';
import { dueFires, nextFire, type FireRule } from './nextFire.js';
import type { ResolvedJob } from './resolveJob.js';
import { runBatchWith } from './runBatch.js';
import type { TypedEmitter } from './typedEmitter.js';
import type { SkipReason, WardenEvents } from './wardenEvents.js';

/** What `runNow` resolves with: the run's summary, or a skip (at the instance limit, or while the job's circuit is open). */
export type RunNowResult = BatchSummary | { status: 'skipped'; reason: SkipReason };

export interface JobRunnerDeps {
  /** The scheduler's clock: fire times and job budgets. */
  clock: WardenClock;
  /** The clock runs are given (their own budgets, and close()'s grace). */
  runClock: WardenClock;
  logger: Logger;
  workers: number | undefined;
  inspect: ((e: InspectionEvent) => void) | undefined;
  events: TypedEmitter<WardenEvents>;
  /** Internal: replaces the worker actor of every run (the simulation). */
  workerLogic?: WorkerLogicFactory | undefined;
}

interface LiveRun {
  controller: AbortController;
  ended: Promise<void>;
}

interface Waiter {
  resolve: (r: RunNowResult) => void;
  reject: (e: unknown) => void;
}

/**
 * One defined job: its job machine (timing and policies) and the runs it starts. Turns
 * what the machine emits into batches (runBatch) and events, and tells it when runs end.
 *
 * The job-level circuit (across runs) is a long-lived `circuitMachine` actor on the
 * scheduler's clock, with threshold 1: a run that ends `circuit-open` trips it (open);
 * after `cooldownMs` it is half-open. The job machine stays pure and knows nothing of it:
 * the gate is checked here, when a fire is due (`due`) and in `runNow`. While open, the
 * fires are skipped (`run.skipped`, reason `circuit-open`) and the job machine is only
 * re-armed; while half-open, the next run that starts is the probe (`probe`), and the
 * fires while it runs are skipped. The probe ending other than `circuit-open` closes the
 * circuit (`circuit.closed`); ending `circuit-open` opens it again.
 */
export class JobRunner<I> {
  private readonly actor: Actor<typeof jobMachine>;
  private readonly circuit: Actor<typeof circuitMachine>;
  /** The half-open trial run, while it runs. */
  private probe: string | undefined;
  private closing = false;
  private readonly log: Logger;
  private rule: FireRule | undefined;
  private readonly runs = new Map<string, LiveRun>();
  /** runNow calls waiting for the machine's answer, in order. */
  private readonly asked: Waiter[] = [];
  private readonly manual = new Map<string, Waiter>();

  constructor(
    private readonly job: ResolvedJob<I>,
    private readonly d: JobRunnerDeps,
  ) {
    this.log = d.logger.child({ jobId: job.id });
    this.actor = createActor(jobMachine, {
      clock: d.clock,
      inspect: d.inspect,
      input: {
        jobId: job.id,
        maxInstances: job.maxInstances,
        coalesce: job.coalesce,
        misfireGraceMs: job.misfireGraceMs,
        jobMs: job.jobMs,
        releaseMs: job.releaseMs,
      },
    });
    this.actor.on('*', (e) => this.onEmitted(e));
    this.actor.subscribe({ error: (err) => this.log.error({ err }, 'internal error in the job machine') });
    this.actor.start();
    this.circuit = createActor(circuitMachine, {
      id: `circuit:${job.id}`,
      clock: d.clock,
      inspect: d.inspect,
      input: { threshold: 1, cooldownMs: job.cooldownMs },
    });
    this.circuit.on('*', (e) => this.onCircuit(e));
    this.circuit.subscribe({ error: (err) => this.log.error({ err }, 'internal error in the job circuit') });
    this.circuit.start();
  }

  /** Arms the first fire (a one-time trigger already past is handled at once: run, or missed). */
  start(): void {
    const now = this.d.clock.now();
    const rule = (this.rule = this.job.rule(now));
    const first = rule.kind === 'at' ? rule.at : nextFire(rule, now);
    if (first === undefined) return;
    if (first <= now) this.actor.send({ type: 'FIRE', at: now, ...dueFires(rule, first, now) });
    else this.actor.send({ type: 'ARM', dueAt: first, at: now });
  }

  runNow(): Promise<RunNowResult> {
    if (this.gate() === 'blocked') {
      this.skipped(this.d.clock.now(), 'circuit-open', this.instances(), true);
      return Promise.resolve({ status: 'skipped', reason: 'circuit-open' });
    }
    return new Promise<RunNowResult>((resolve, reject) => {
      this.asked.push({ resolve, reject });
      this.actor.send({ type: 'RUN_NOW', at: this.d.clock.now() });
    });
  }

  /** Instances holding a slot now. */
  instances(): number {
    return this.actor.getSnapshot().context.slots.filter((s) => s !== null).length;
  }

  /** Stops arming; waits up to `graceMs` for running runs, then aborts them; resolves when all have ended. */
  async close(graceMs: number): Promise<void> {
    // runs cut short by close() tell nothing about the dependency: the circuit stops here
    this.closing = true;
    this.circuit.stop();
    this.actor.send({ type: 'CLOSE' });
    const ended = () => Promise.all([...this.runs.values()].map((r) => r.ended));
    if (this.runs.size > 0) {
      let timer: unknown;
      const grace = new Promise<void>((res) => (timer = this.d.runClock.setTimeout(res, graceMs)));
      await Promise.race([ended(), grace]);
      this.d.runClock.clearTimeout(timer);
      for (const r of this.runs.values()) r.controller.abort();
      await ended();
    }
    this.actor.stop();
    for (const w of this.asked.splice(0)) w.reject(new Error(`job ${this.job.id} closed`));
  }

  private onEmitted(e: JobEmitted): void {
    const jobId = this.job.id;
    const ev = this.d.events;
    switch (e.type) {
      case 'due': {
        const now = Math.max(this.d.clock.now(), e.dueAt);
        const { scheduled, next } = dueFires(this.rule as FireRule, e.dueAt, now);
        // The job-level circuit gate. Open (or a probe running): every due fire is skipped,
        // the machine is only re-armed. Half-open: one run at most, the probe.
        const gate = this.gate();
        const pass = gate === 'blocked' ? [] : gate === 'probe' && !this.job.coalesce ? scheduled.slice(-1) : scheduled;
        for (const slot of scheduled.slice(0, scheduled.length - pass.length)) this.skipped(slot, 'circuit-open', this.instances(), false);
        this.actor.send({ type: 'FIRE', at: now, scheduled: pass, next });
        break;
      }
      case 'run.start':
        if (this.probe === undefined && this.gate() === 'probe') {
          this.probe = e.runId;
          this.log.info({ runId: e.runId }, 'job circuit half-open: this run is the probe');
        }
        if (e.manual) {
          const w = this.asked.shift();
          if (w) this.manual.set(e.runId, w);
        }
        this.startRun(e.runId, e.slot, e.manual, e.coalesced);
        break;
      case 'run.skipped':
        if (e.manual) this.asked.shift()?.resolve({ status: 'skipped', reason: 'max-instances' });
        this.skipped(e.slot, e.reason, e.running, e.manual);
        break;
      case 'run.missed':
        this.log.warn({ scheduledAt: new Date(e.slot), lateMs: e.lateMs }, 'run missed: later than the misfire grace');
        ev.emit('run.missed', { jobId, scheduledAt: new Date(e.slot), lateMs: e.lateMs });
        break;
      case 'run.timeout': {
        this.log.error({ runId: e.runId, jobMs: this.job.jobMs }, 'run reached its job budget: stopping it');
        const error = new JobTimeoutError(`run ${e.runId} of job ${jobId} ran past its job budget of ${this.job.jobMs} ms`);
        this.runs.get(e.runId)?.controller.abort(error);
        ev.emit('run.timeout', { jobId, runId: e.runId, jobMs: this.job.jobMs });
        break;
      }
      case 'run.released':
        if (e.forced) {
          this.log.error({ runId: e.runId }, 'run did not end within the release bound after its job budget: slot released anyway');
          ev.emit('run.released', { jobId, runId: e.runId });
        }
        break;
    }
  }

  /** The job-level circuit gate: `pass` (closed), `probe` (half-open, no probe yet: the next run is the probe), `blocked`. */
  private gate(): 'pass' | 'probe' | 'blocked' {
    const value = this.circuit.getSnapshot().value;
    if (value === 'closed') return 'pass';
    if (value === 'halfOpen' && this.probe === undefined) return 'probe';
    return 'blocked';
  }

  private skipped(slot: number, reason: SkipReason, running: number, manual: boolean): void {
    const scheduledAt = new Date(slot);
    if (reason === 'max-instances') this.log.warn({ scheduledAt, running }, 'run skipped: maximum number of running instances reached');
    else this.log.warn({ scheduledAt }, 'run skipped: the job circuit is open');
    this.d.events.emit('run.skipped', { jobId: this.job.id, scheduledAt, reason, running, manual });
  }

  /** A run ended: one that ended `circuit-open` trips the job circuit; the probe ending otherwise closes it. */
  private circuitAfter(runId: string, circuitOpen: boolean): void {
    const probe = this.probe === runId;
    if (probe) this.probe = undefined;
    if (this.closing) return;
    if (circuitOpen) this.circuit.send({ type: 'TRIP' });
    else if (probe) this.circuit.send({ type: 'SUCCESS' });
  }

  private onCircuit(e: CircuitEmitted): void {
    switch (e.type) {
      // no warden event here: the run's own circuit.opened (from its batch) already reported this opening
      case 'opened':
        this.log.warn({ cooldownMs: this.job.cooldownMs, consecutive: e.failures }, 'job circuit open: fires are skipped until the cool-down ends');
        break;
      case 'halfOpened':
        this.log.info('job circuit half-open: the next run is the probe');
        break;
      case 'closed':
        this.log.info('job circuit closed');
        this.d.events.emit('circuit.closed', { jobId: this.job.id });
        break;
    }
  }

  private startRun(runId: string, slot: number, manual: boolean, coalesced: number): void {
    const jobId = this.job.id;
    const ev = this.d.events;
    const controller = new AbortController();
    const log = this.log.child({ runId });
    ev.emit('run.started', { jobId, runId, scheduledAt: new Date(slot), startedAt: new Date(this.d.clock.now()), manual, coalesced });
    const { id: _id, trigger: _t, maxInstances: _m, coalesce: _c, misfireGraceMs: _g, timeouts = {}, source, onDeadLetter, onEvent, ...batch } = this.job.spec;
    const { jobMs: _j, ...batchTimeouts } = timeouts;
    let summary: Promise<BatchSummary>;
    try {
      summary = runBatchWith<I>({
        ...batch,
        workers: batch.workers ?? this.d.workers,
        timeouts: batchTimeouts,
        source: source(),
        signal: controller.signal,
        logger: log,
        clock: this.d.runClock,
        inspect: this.d.inspect,
        onDeadLetter: (letter) => {
          ev.emit('task.deadLettered', { jobId, runId, letter });
          onDeadLetter?.(letter);
        },
        onEvent: (event) => {
          const { type, ...fields } = event;
          // each BatchEvent type is a WardenEvents key whose payload is its fields plus jobId and runId
          ev.emit(type, { jobId, runId, ...fields } as WardenEvents[typeof type]);
          onEvent?.(event);
        },
      }, { workerLogic: this.d.workerLogic });
    } catch (err) {
      summary = Promise.reject(err);
    }
    const waiter = () => {
      const w = this.manual.get(runId);
      this.manual.delete(runId);
      return w;
    };
    // The slot is released before run.finished is emitted: a listener may start the next run at once.
    const release = () => {
      this.runs.delete(runId);
      this.actor.send({ type: 'RUN_ENDED', runId });
    };
    const ended = summary.then(
      (s) => {
        release();
        this.circuitAfter(runId, s.reason === 'circuit-open');
        ev.emit('run.finished', { jobId, runId, summary: s });
        waiter()?.resolve(s);
      },
      (error: unknown) => {
        release();
        this.circuitAfter(runId, false);
        log.error({ err: error }, 'run failed to start');
        ev.emit('run.failed', { jobId, runId, error });
        waiter()?.reject(error);
      },
    );
    this.runs.set(runId, { controller, ended });
  }
}
