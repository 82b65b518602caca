import type { BatchSummary } from '../runtime/batchSummary.js';
import type { RunObserver } from './runObserver.js';

/** How many task times a run keeps to estimate its p95 (a uniform reservoir sample). */
const RESERVOIR = 2048;

/** A run's metrics, stored with the run (`runs.metrics`) and sent with `run.finished`. */
export interface RunMetrics {
  startedAt: string;
  endedAt: string;
  durationMs: number;
  total: number;
  succeeded: number;
  /** Dead-lettered, whatever the reason. */
  failed: number;
  /** Dead-lettered `timeout`. */
  timedOut: number;
  /** succeeded / total (1 for an empty run). */
  successRate: number;
  /** Task attempts that finished in their worker (succeeded or threw): mean and p95 time, ms. */
  taskMs: { count: number; mean: number; p95: number; max: number };
  /** Peak resident set size of the host process during the run (worker threads live in it), bytes. */
  peakRssBytes: number;
  /** Failures counted toward the circuit (`circuit.trips`): the dependency's errors. */
  dependencyErrors: number;
  workerRestarts: number;
  stuckThreads: number;
  /** The run's circuit opened (0 or 1: an open circuit stops the run). */
  circuitOpened: number;
}

/** Collects one run's metrics: task times (count, mean, max, p95 from a reservoir), trips, peak RSS. */
export class RunMetricsCollector implements RunObserver {
  private count = 0;
  private sum = 0;
  private max = 0;
  private readonly sample: number[] = [];
  private trips = 0;
  private peakRss = 0;
  circuitOpened = 0;

  constructor(private readonly random: () => number = Math.random) {
    this.sampleRss();
  }

  task(ms: number): void {
    this.count++;
    this.sum += ms;
    if (ms > this.max) this.max = ms;
    if (this.sample.length < RESERVOIR) this.sample.push(ms);
    else {
      const j = Math.floor(this.random() * this.count);
      if (j < RESERVOIR) this.sample[j] = ms;
    }
  }

  trip(): void {
    this.trips++;
  }

  /** Reads the host's RSS and keeps the peak. */
  sampleRss(): void {
    const rss = process.memoryUsage.rss();
    if (rss > this.peakRss) this.peakRss = rss;
  }

  /** The p-quantile (0–1) of the sampled task times, nearest rank; 0 without tasks. */
  quantile(p: number): number {
    if (this.sample.length === 0) return 0;
    const sorted = [...this.sample].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
  }

  /** The run's metrics, from its summary and what was collected. */
  finish(s: BatchSummary): RunMetrics {
    this.sampleRss();
    return {
      startedAt: s.startedAt.toISOString(),
      endedAt: s.endedAt.toISOString(),
      durationMs: s.durationMs,
      total: s.total,
      succeeded: s.succeeded,
      failed: s.deadLettered,
      timedOut: s.byReason.timeout,
      successRate: s.total === 0 ? 1 : s.succeeded / s.total,
      taskMs: { count: this.count, mean: this.count === 0 ? 0 : this.sum / this.count, p95: this.quantile(0.95), max: this.max },
      peakRssBytes: this.peakRss,
      dependencyErrors: this.trips,
      workerRestarts: s.workerRestarts,
      stuckThreads: s.stuckThreads,
      circuitOpened: this.circuitOpened,
    };
  }
}
