import type { Logger } from 'pino';
import type { WorkerLogicFactory } from '../actors/workerLogic.js';
import { createActor, type Actor, type InspectionEvent } from 'xstate';
import { JobTimeoutError } from '../errors/JobTimeoutError.js';
import { circuitMachine, type CircuitEmitted } from '../machines/circuit.machine.js';
import { jobMachine, type JobEmitted } from '../machines/job.machine.js';
import type { BatchSummary } from './batchSummary.js';
import type { WardenClock } from './clock.js';
import { DUE_FIRES_LIMIT, dueFires, nextFire, type FireRule } from './nextFire.js';
import type { ResolvedJob } from './resolveJob.js';
import { runBatchWith } from './runBatch.js';
import type { TypedEmitter } from './typedEmitter.js';
import type { SkipReason, WardenEvents } from './wardenEvents.js';
import type { StoredRun } from '../store/types.js';
import type { RunPlan } from './runPlan.js';
import { letterInterrupted } from './letterInterrupted.js';
import { resumePlan } from './resumePlan.js';
import { RunMetricsCollector, type RunMetrics } from '../observe/runMetrics.js';
import type { WardenMetrics } from '../observe/wardenMetrics.js';
import { hostAliveElsewhere, type WardenStorage } from './wardenStorage.js';

/** Tags this process's run ids (its start time in ms, base 36, and a random suffix). */
const PROCESS_TAG = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 3).toString(36).padStart(3, '0')}`;

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
  /** Runs, progress, dead letters and job state. */
  storage: WardenStorage;
  /** Prometheus metrics (task times and dependency errors are reported to it by each run). */
  metrics: WardenMetrics;
}

/** How often a run samples the host's RSS for its peak. */
const RSS_SAMPLE_MS = 1000;

interface LiveRun {
  controller: AbortController;
  ended: Promise<void>;
}

interface Waiter<I> {
  resolve: (r: RunNowResult) => void;
  reject: (e: unknown) => void;
  plan: RunPlan<I>;
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
  private readonly asked: Waiter<I>[] = [];
  private readonly manual = new Map<string, Waiter<I>>();
  /** Resumes of interrupted runs waiting their turn (one at a time, after start). */
  private readonly resumes: RunPlan<I>[] = [];
  private resuming = false;

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
        // unique across host restarts on one store: <job>#<this process's start, base 36>.<n>
        runIdPrefix: `${job.id}#${PROCESS_TAG}.`,
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

  /**
   * Recovers the runs a dead host left unfinished (resume or dead-letter), then arms the
   * first fire from the stored job state: fires that fell while the host was down are due
   * at once and the misfire grace and coalesce decide (a one-time trigger already handled
   * never fires again).
   */
  async start(): Promise<void> {
    await this.recover();
    if (this.closing) return;
    const now = this.d.clock.now();
    const stored = this.d.storage.attempt('read job state', () => this.d.storage.store.jobs.get(this.job.id), undefined);
    let rule = this.job.rule(now);
    if (rule.kind === 'every' && stored?.nextFire !== undefined) rule = this.job.rule(stored.nextFire.getTime() - rule.everyMs);
    this.rule = rule;
    const handled = Math.max(stored?.lastFire?.getTime() ?? -Infinity, this.lastSlotRun());
    let first: number | undefined;
    if (rule.kind === 'at') first = rule.at > handled ? rule.at : undefined;
    else if (stored?.nextFire !== undefined && stored.nextFire.getTime() <= now) first = this.sinceDown(rule, stored.nextFire.getTime(), handled, now);
    else first = nextFire(rule, now);
    if (first === undefined) {
      this.saveState(undefined, undefined);
      return;
    }
    if (first <= now) {
      const due = this.dueSince(rule, first, now);
      this.actor.send({ type: 'FIRE', at: now, ...due });
      this.saveState(due.scheduled[due.scheduled.length - 1], due.next);
    } else {
      this.actor.send({ type: 'ARM', dueAt: first, at: now });
      this.saveState(undefined, first);
    }
  }

  /**
   * The first fire to handle after the host was down since `from`: fires older than the
   * misfire grace are missed (one `run.missed` for the oldest, and the count in the log,
   * rather than one event per fire of a long outage); fires already run are not again.
   */
  private sinceDown(rule: FireRule, from: number, handled: number, now: number): number | undefined {
    let first: number | undefined = from;
    while (first !== undefined && first <= handled) first = nextFire(rule, first);
    const horizon = now - this.job.misfireGraceMs;
    if (first !== undefined && first < horizon) {
      const oldest = first;
      first = nextFire(rule, horizon - 1);
      this.log.warn({ from: new Date(oldest), to: new Date(horizon) }, 'fires while the host was down or the clock jumped, older than the misfire grace, are missed');
      this.d.events.emit('run.missed', { jobId: this.job.id, scheduledAt: new Date(oldest), lateMs: now - oldest });
    }
    return first;
  }

  /**
   * The fires due from `from` by `now`. When more are due than `dueFires` lists (the clock
   * jumped far ahead: a suspended host, a wall-clock correction), the ones older than the
   * misfire grace are missed as one (a `run.missed` for the oldest), as after a long outage,
   * and the list starts within the grace: the fires that may still run are never cut off.
   */
  private dueSince(rule: FireRule, from: number, now: number): { scheduled: number[]; next: number | undefined } {
    const due = dueFires(rule, from, now);
    const last = due.scheduled[due.scheduled.length - 1];
    if (last === undefined || due.scheduled.length < DUE_FIRES_LIMIT) return due;
    const after = nextFire(rule, last);
    if (after === undefined || after > now) return due;
    const first = this.sinceDown(rule, from, -Infinity, now);
    if (first === undefined || first > now) return { scheduled: [], next: first };
    return dueFires(rule, first, now);
  }

  /** The latest fire time a stored run of this job was started for (a fire recorded as run is not run again). */
  private lastSlotRun(): number {
    return this.d.storage.attempt('read runs', () => this.d.storage.store.runs.latestSlot(this.job.id), undefined) ?? -Infinity;
  }

  private saveState(lastFire: number | undefined, nextFire: number | undefined): void {
    this.d.events.emit('job.armed', { jobId: this.job.id, nextFireAt: nextFire === undefined ? undefined : new Date(nextFire) });
    const st = this.d.storage;
    st.attempt('write job state', () => st.store.jobs.set(this.job.id, { lastFire, nextFire }, this.d.clock.now()), undefined);
  }

  /** Runs of this job still marked running by a host that is gone: resumed or dead-lettered per `onInterrupted`. */
  private async recover(): Promise<void> {
    const st = this.d.storage;
    const left = st.attempt('read runs', () => st.store.runs.running(this.job.id), [] as StoredRun[]);
    for (const run of left) {
      if (hostAliveElsewhere(run.host)) {
        this.log.warn({ runId: run.id, host: run.host }, 'a run of this job is held by another live process on this file: left alone (use one store file per host)');
        continue;
      }
      if (run.kind === 'replay') {
        // its letters not yet marked replayed stay replayable
        st.attempt('write run', () => st.store.runs.finish(run.id, { endedAt: new Date(this.d.clock.now()), status: 'interrupted', reason: 'host-died' }), false);
        this.d.events.emit('run.interrupted', { jobId: this.job.id, runId: run.id, deadLettered: 0 });
        continue;
      }
      const plan = resumePlan(st.store, run.id);
      this.log.warn({ runId: run.id, host: run.host, settled: plan.settled, policy: this.job.onInterrupted }, 'found a run left unfinished by a host that died');
      if (this.job.onInterrupted === 'resume') {
        this.resumes.push({ kind: 'resume', slot: run.slot?.getTime(), resumeOf: run.id, skip: plan.skip });
      } else {
        const n = await letterInterrupted({ jobId: this.job.id, spec: this.job.spec, run, skip: plan.skip, storage: st, events: this.d.events, now: this.d.clock.now(), log: this.log });
        // behind its letters, in the same transaction: until they are written the run stays running, to be found again
        st.attempt('end run', () => st.writer.runEnded(run.id, { endedAt: new Date(this.d.clock.now()), status: 'interrupted', reason: 'host-died', metrics: { settled: plan.settled, interruptedLetters: n } }), undefined);
        st.attempt('flush', () => st.writer.flush(), 0);
        this.d.events.emit('run.interrupted', { jobId: this.job.id, runId: run.id, deadLettered: n });
      }
    }
    this.nextResume();
  }

  /** Starts the next queued resume once no resume is running. */
  private nextResume(): void {
    if (this.resuming || this.closing) return;
    const plan = this.resumes.shift();
    if (!plan) return;
    this.resuming = true;
    void this.submit(plan).then(
      (r) => {
        if (r.status === 'skipped') {
          // at the instance limit: try again after the next run ends
          this.resumes.unshift(plan);
        }
        this.resuming = false;
        if (r.status !== 'skipped') this.nextResume();
      },
      (err: unknown) => {
        this.resuming = false;
        this.log.error({ err }, 'the resume of an interrupted run failed to start');
      },
    );
  }

  runNow(): Promise<RunNowResult> {
    return this.submit({ kind: 'manual' });
  }

  /** A run outside the schedule (runNow, resume, replay), subject to maxInstances and the job circuit. */
  submit(plan: RunPlan<I>): Promise<RunNowResult> {
    if (this.gate() === 'blocked') {
      this.skipped(this.d.clock.now(), 'circuit-open', this.instances(), true);
      return Promise.resolve({ status: 'skipped', reason: 'circuit-open' });
    }
    return new Promise<RunNowResult>((resolve, reject) => {
      this.asked.push({ resolve, reject, plan });
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

  /** The job's definition (for replays). */
  get spec(): ResolvedJob<I> {
    return this.job;
  }

  private onEmitted(e: JobEmitted): void {
    const jobId = this.job.id;
    const ev = this.d.events;
    switch (e.type) {
      case 'due': {
        const now = Math.max(this.d.clock.now(), e.dueAt);
        const { scheduled, next } = this.dueSince(this.rule as FireRule, e.dueAt, now);
        // The job-level circuit gate. Open (or a probe running): every due fire is skipped,
        // the machine is only re-armed. Half-open: one run at most, the probe.
        const gate = this.gate();
        const pass = gate === 'blocked' ? [] : gate === 'probe' && !this.job.coalesce ? scheduled.slice(-1) : scheduled;
        for (const slot of scheduled.slice(0, scheduled.length - pass.length)) this.skipped(slot, 'circuit-open', this.instances(), false);
        this.actor.send({ type: 'FIRE', at: now, scheduled: pass, next });
        // after the runs are recorded: a host that dies in between resumes them, it does not fire them again
        this.saveState(scheduled[scheduled.length - 1], next);
        break;
      }
      case 'run.start':
        if (this.probe === undefined && this.gate() === 'probe') {
          this.probe = e.runId;
          this.log.info({ runId: e.runId }, 'job circuit half-open: this run is the probe');
        }
        let plan: RunPlan<I> = { kind: 'scheduled' };
        if (e.manual) {
          const w = this.asked.shift();
          if (w) {
            this.manual.set(e.runId, w);
            plan = w.plan;
          } else plan = { kind: 'manual' };
        }
        this.startRun(e.runId, e.slot, e.manual, e.coalesced, plan);
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
        this.d.events.emit('circuit.halfOpen', { jobId: this.job.id });
        break;
      case 'closed':
        this.log.info('job circuit closed');
        this.d.events.emit('circuit.closed', { jobId: this.job.id });
        break;
    }
  }

  private startRun(runId: string, fireSlot: number, manual: boolean, coalesced: number, plan: RunPlan<I>): void {
    const jobId = this.job.id;
    const ev = this.d.events;
    const st = this.d.storage;
    const controller = new AbortController();
    const log = this.log.child({ runId });
    const slot = plan.slot ?? fireSlot;
    const startedAt = new Date(this.d.clock.now());
    // A resume takes over its interrupted run in one transaction: a host that dies here leaves exactly one of them running.
    st.attempt(
      'write run',
      () =>
        st.store.db.transaction(() => {
          if (plan.resumeOf !== undefined) st.store.runs.finish(plan.resumeOf, { endedAt: startedAt, status: 'interrupted', reason: 'host-died', metrics: { resumedBy: runId } });
          st.store.runs.start({ id: runId, jobId, slot: plan.kind === 'manual' || plan.kind === 'replay' ? undefined : new Date(slot), host: st.host, startedAt, kind: plan.kind, resumeOf: plan.resumeOf, chunkSize: this.job.chunkSize });
        }).immediate(),
      undefined,
    );
    if (plan.resumeOf !== undefined) {
      log.info({ resumeOf: plan.resumeOf }, 'resuming a run left unfinished by a host that died');
      ev.emit('run.interrupted', { jobId, runId: plan.resumeOf, resumedBy: runId, deadLettered: 0 });
    }
    ev.emit('run.started', { jobId, runId, scheduledAt: new Date(slot), startedAt, manual, coalesced, kind: plan.kind, resumeOf: plan.resumeOf });
    const { id: _id, trigger: _t, maxInstances: _m, coalesce: _c, misfireGraceMs: _g, onInterrupted: _i, timeouts = {}, source, onDeadLetter, onEvent, ...batch } = this.job.spec;
    const { jobMs: _j, ...batchTimeouts } = timeouts;
    const collector = new RunMetricsCollector();
    let rssTimer: unknown;
    const sampleRss = () => {
      collector.sampleRss();
      rssTimer = this.d.runClock.setTimeout(sampleRss, RSS_SAMPLE_MS);
      (rssTimer as { unref?: () => void } | undefined)?.unref?.();
    };
    sampleRss();
    let summary: Promise<BatchSummary>;
    try {
      summary = runBatchWith<I>({
        ...batch,
        workers: batch.workers ?? this.d.workers,
        timeouts: batchTimeouts,
        ...(plan.key ? { key: plan.key } : {}),
        source: (plan.source ?? source)(),
        signal: controller.signal,
        logger: log,
        clock: this.d.runClock,
        inspect: this.d.inspect,
        onDeadLetter: (letter) => {
          st.attempt('write dead letter', () => st.writer.add({ jobId, runId, letter, replayOf: plan.replayOf?.(letter.index) }), undefined);
          ev.emit('task.deadLettered', { jobId, runId, letter });
          onDeadLetter?.(letter);
        },
        onEvent: (event) => {
          const { type, ...fields } = event;
          if (type === 'circuit.opened') collector.circuitOpened = 1;
          // each BatchEvent type is a WardenEvents key whose payload is its fields plus jobId and runId
          ev.emit(type, { jobId, runId, ...fields } as WardenEvents[typeof type]);
          onEvent?.(event);
        },
      }, {
        workerLogic: this.d.workerLogic,
        skip: plan.skip,
        onChunkSettled: (chunk) => st.attempt('write progress', () => st.writer.chunkSettled(runId, chunk, this.d.runClock.now()), undefined),
        observer: this.d.metrics.observe(jobId, collector),
      });
    } catch (err) {
      summary = Promise.reject(err);
    }
    const waiter = () => {
      const w = this.manual.get(runId);
      this.manual.delete(runId);
      return w;
    };
    // The rows first (letters, then the run's end), then the slot, then run.finished: a listener may start the next run at once.
    const record = (s: BatchSummary | undefined, metrics: RunMetrics | undefined) => {
      this.d.runClock.clearTimeout(rssTimer);
      const end = s
        ? { endedAt: s.endedAt, status: s.status, reason: s.reason, metrics: { ...runCounts(s), ...metrics } }
        : { endedAt: new Date(this.d.clock.now()), status: 'failed', reason: 'task-module' };
      // in the writer's transaction with the run's last letters: a failed write leaves both for its retry
      st.attempt('end run', () => st.writer.runEnded(runId, end, s ? plan.replayed?.() : undefined), undefined);
      st.attempt('flush', () => st.writer.flush(), 0);
      try {
        plan.onEnd?.(runId, s);
      } catch (err) {
        log.error({ err }, 'the run plan threw at the end of the run');
      }
    };
    const release = () => {
      this.runs.delete(runId);
      // a run whose slot was released by force may end after the job machine is done (closed)
      if (this.actor.getSnapshot().status === 'active') this.actor.send({ type: 'RUN_ENDED', runId });
      if (plan.kind !== 'resume') this.nextResume();
    };
    const ended = summary.then(
      (s) => {
        const metrics = collector.finish(s);
        record(s, metrics);
        release();
        this.circuitAfter(runId, s.reason === 'circuit-open');
        log.info({ status: s.status, metrics }, 'run finished');
        ev.emit('run.finished', { jobId, runId, summary: s, metrics });
        waiter()?.resolve(s);
      },
      (error: unknown) => {
        record(undefined, undefined);
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

/** The summary's counts (stored with the run, beside its metrics). */
function runCounts(s: BatchSummary): Record<string, unknown> {
  const { status: _s, reason: _r, startedAt: _a, endedAt: _e, ...counts } = s;
  return counts;
}
