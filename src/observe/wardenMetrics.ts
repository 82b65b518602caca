import type { Counter, Histogram, Registry } from 'prom-client';
import { lazyRequire } from '../runtime/lazyRequire.js';
import type { TypedEmitter } from '../runtime/typedEmitter.js';
import type { WardenEvents } from '../runtime/wardenEvents.js';
import type { RunObserver } from './runObserver.js';

/** Every metric Warden exposes (Prometheus names; documented in docs/operations.md). */
export const METRIC_NAMES = [
  'warden_runs_started_total',
  'warden_runs_finished_total',
  'warden_runs_running',
  'warden_runs_skipped_total',
  'warden_runs_missed_total',
  'warden_runs_timed_out_total',
  'warden_runs_interrupted_total',
  'warden_run_duration_seconds',
  'warden_run_success_ratio',
  'warden_run_last_end_timestamp_seconds',
  'warden_tasks_succeeded_total',
  'warden_tasks_dead_lettered_total',
  'warden_task_duration_seconds',
  'warden_dependency_errors_total',
  'warden_worker_restarts_total',
  'warden_worker_stuck_total',
  'warden_circuit_transitions_total',
  'warden_circuit_open',
  'warden_run_peak_rss_bytes',
  'warden_store_failures_total',
  'warden_job_next_fire_timestamp_seconds',
] as const;

/** prom-client, loaded when the first warden is created (not by `runBatch`). */
const promClient = lazyRequire<typeof import('prom-client')>('prom-client');

/**
 * The warden's Prometheus metrics, on a registry of its own (several wardens in one
 * process do not mix). Fed by the warden's typed events, plus task times and dependency
 * errors from each run's observer.
 */
export class WardenMetrics {
  readonly registry: Registry;
  private readonly taskSeconds: Histogram<'job'>;
  private readonly trips: Counter<'job'>;

  constructor(events: TypedEmitter<WardenEvents>, options: { processMetrics?: boolean } = {}) {
    const { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } = promClient();
    const r = (this.registry = new Registry());
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter<L>({ name, help, labelNames, registers: [r] });
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Gauge<L>({ name, help, labelNames, registers: [r] });
    if (options.processMetrics) collectDefaultMetrics({ register: r, prefix: 'warden_process_' });

    const started = counter('warden_runs_started_total', 'Runs started, by job and kind (scheduled, manual, resume, replay).', ['job', 'kind']);
    const finished = counter('warden_runs_finished_total', 'Runs ended, by job and status (completed, partial, failed, aborted, timedOut).', ['job', 'status']);
    const running = gauge('warden_runs_running', 'Runs holding an instance slot now.', ['job']);
    const skipped = counter('warden_runs_skipped_total', 'Fires (or runNow) not run, by reason (max-instances, circuit-open).', ['job', 'reason']);
    const missed = counter('warden_runs_missed_total', 'Fires dropped as later than the misfire grace.', ['job']);
    const timedOut = counter('warden_runs_timed_out_total', 'Runs stopped at their job budget (jobMs).', ['job']);
    const interrupted = counter('warden_runs_interrupted_total', 'Runs a dead host left, found on start (resumed or dead-lettered).', ['job']);
    const duration = new Histogram<'job'>({
      name: 'warden_run_duration_seconds',
      help: 'Run duration.',
      labelNames: ['job'],
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 10800, 21600],
      registers: [r],
    });
    const success = gauge('warden_run_success_ratio', 'Succeeded / total tasks of the last run of the job.', ['job']);
    const lastEnd = gauge('warden_run_last_end_timestamp_seconds', 'When the last run of the job ended, by its status.', ['job', 'status']);
    const succeeded = counter('warden_tasks_succeeded_total', 'Tasks that succeeded.', ['job']);
    const lettered = counter('warden_tasks_dead_lettered_total', 'Tasks dead-lettered, by reason (timeout, error, crash, circuit-open, …).', ['job', 'reason']);
    this.taskSeconds = new Histogram<'job'>({
      name: 'warden_task_duration_seconds',
      help: 'Time of task attempts that finished in their worker (succeeded or threw).',
      labelNames: ['job'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
      registers: [r],
    });
    this.trips = counter('warden_dependency_errors_total', 'Task failures counted toward the circuit (circuit.trips: connection errors, timeouts).', ['job']);
    const restarts = counter('warden_worker_restarts_total', 'Workers replaced (hang, crash, failed start).', ['job']);
    const stuck = counter('warden_worker_stuck_total', 'Terminated workers that did not exit within terminateMs (left behind, not waited for).', ['job']);
    const transitions = counter('warden_circuit_transitions_total', 'Circuit transitions, by the state entered (open: a run opened it; halfOpen; closed).', ['job', 'to']);
    const open = gauge('warden_circuit_open', 'The job circuit: 1 open, 0.5 half-open, 0 closed.', ['job']);
    const peakRss = gauge('warden_run_peak_rss_bytes', 'Peak resident set size of the host process during the last run of the job.', ['job']);
    const storeFailures = counter('warden_store_failures_total', 'Store writes that failed, by operation.', ['operation']);
    const nextFire = gauge('warden_job_next_fire_timestamp_seconds', 'The next fire armed for the job (absent: none).', ['job']);

    events.on('run.started', (e) => {
      started.inc({ job: e.jobId, kind: e.kind });
      running.inc({ job: e.jobId });
    });
    events.on('run.finished', (e) => {
      const job = e.jobId;
      running.dec({ job });
      finished.inc({ job, status: e.summary.status });
      duration.observe({ job }, e.summary.durationMs / 1000);
      success.set({ job }, e.metrics.successRate);
      lastEnd.set({ job, status: e.summary.status }, e.summary.endedAt.getTime() / 1000);
      succeeded.inc({ job }, e.summary.succeeded);
      for (const [reason, n] of Object.entries(e.summary.byReason)) if (n > 0) lettered.inc({ job, reason }, n);
      peakRss.set({ job }, e.metrics.peakRssBytes);
    });
    events.on('run.failed', (e) => {
      running.dec({ job: e.jobId });
      finished.inc({ job: e.jobId, status: 'failed' });
    });
    events.on('run.skipped', (e) => skipped.inc({ job: e.jobId, reason: e.reason }));
    events.on('run.missed', (e) => missed.inc({ job: e.jobId }));
    events.on('run.timeout', (e) => timedOut.inc({ job: e.jobId }));
    events.on('run.interrupted', (e) => interrupted.inc({ job: e.jobId }));
    events.on('worker.restarted', (e) => restarts.inc({ job: e.jobId }));
    events.on('worker.stuck', (e) => stuck.inc({ job: e.jobId }));
    events.on('circuit.opened', (e) => {
      transitions.inc({ job: e.jobId, to: 'open' });
      open.set({ job: e.jobId }, 1);
    });
    events.on('circuit.halfOpen', (e) => {
      transitions.inc({ job: e.jobId, to: 'halfOpen' });
      open.set({ job: e.jobId }, 0.5);
    });
    events.on('circuit.closed', (e) => {
      transitions.inc({ job: e.jobId, to: 'closed' });
      open.set({ job: e.jobId }, 0);
    });
    events.on('store.failed', (e) => storeFailures.inc({ operation: e.operation }));
    events.on('job.armed', (e) => {
      if (e.nextFireAt) nextFire.set({ job: e.jobId }, e.nextFireAt.getTime() / 1000);
      else nextFire.remove({ job: e.jobId });
    });
  }

  /** The observer a run of `jobId` reports task times and dependency errors to (added to its own collector). */
  observe(jobId: string, also: RunObserver): RunObserver {
    const seconds = this.taskSeconds.labels({ job: jobId });
    const trips = this.trips.labels({ job: jobId });
    return {
      task(ms) {
        seconds.observe(ms / 1000);
        also.task(ms);
      },
      trip() {
        trips.inc();
        also.trip();
      },
    };
  }

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
