import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarden, type Warden } from '../../src/runtime/createWarden.js';
import type { RunMetrics } from '../../src/observe/runMetrics.js';
import { METRIC_NAMES } from '../../src/observe/wardenMetrics.js';
import type { BatchSummary } from '../../src/runtime/batchSummary.js';
import { fixture, quiet } from '../helpers.js';

const wardens: Warden[] = [];
afterEach(async () => {
  for (const w of wardens.splice(0)) await w.close({ graceMs: 0 });
});

function warden(): Warden {
  const w = createWarden({ logger: quiet, store: 'memory', workers: 2 });
  wardens.push(w);
  return w;
}

/** The value of one sample line of the exposition, e.g. `warden_runs_finished_total{job="j",status="partial"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('run metrics and Prometheus', () => {
  it('a run with data errors and connection errors: its metrics (stored, on run.finished) and the exposition agree with its summary', async () => {
    const w = warden();
    // 12 inputs: 8 succeed, 2 throw a data error, 2 a connection error (ECONNREFUSED trips the circuit, threshold 5: stays closed)
    const source = () => Array.from({ length: 12 }, (_, n) => (n < 8 ? { do: 'ok' } : n < 10 ? { do: 'throw' } : { do: 'throw', code: 'ECONNREFUSED' }));
    w.defineJob({ id: 'grid', trigger: { everyMs: 3_600_000 }, task: fixture('behave.mjs'), source });
    let finished: { summary: BatchSummary; metrics: RunMetrics } | undefined;
    w.on('run.finished', (e) => (finished = e));
    const summary = (await w.runNow('grid')) as BatchSummary;
    const m = finished!.metrics;
    expect(m).toMatchObject({ total: 12, succeeded: 8, failed: 4, timedOut: 0, successRate: 8 / 12, dependencyErrors: 2, workerRestarts: 0, circuitOpened: 0 });
    expect(m.taskMs.count).toBe(12); // every attempt finished in its worker
    expect(m.taskMs.p95).toBeGreaterThanOrEqual(0);
    expect(m.taskMs.p95).toBeLessThanOrEqual(m.taskMs.max);
    expect(m.peakRssBytes).toBeGreaterThan(0);
    expect(m.durationMs).toBe(summary.durationMs);

    const [run] = w.runs.list({ jobId: 'grid' });
    expect(run!.metrics).toMatchObject({ successRate: 8 / 12, dependencyErrors: 2, taskMs: { count: 12 }, byReason: { error: 4 } });

    const text = await w.metrics();
    expect(sample(text, 'warden_runs_started_total{job="grid",kind="manual"}')).toBe(1);
    expect(sample(text, 'warden_runs_finished_total{job="grid",status="partial"}')).toBe(1);
    expect(sample(text, 'warden_runs_running{job="grid"}')).toBe(0);
    expect(sample(text, 'warden_tasks_succeeded_total{job="grid"}')).toBe(8);
    expect(sample(text, 'warden_tasks_dead_lettered_total{job="grid",reason="error"}')).toBe(4);
    expect(sample(text, 'warden_task_duration_seconds_count{job="grid"}')).toBe(12);
    expect(sample(text, 'warden_dependency_errors_total{job="grid"}')).toBe(2);
    expect(sample(text, 'warden_run_success_ratio{job="grid"}')).toBeCloseTo(8 / 12);
    expect(sample(text, 'warden_run_duration_seconds_count{job="grid"}')).toBe(1);
  });

  it('the p95 is the nearest-rank 95th percentile of the task times', async () => {
    const { RunMetricsCollector } = await import('../../src/observe/runMetrics.js');
    const c = new RunMetricsCollector();
    for (let ms = 1; ms <= 100; ms++) c.task(ms);
    expect(c.quantile(0.95)).toBe(95);
    expect(c.quantile(0.5)).toBe(50);
    expect(new RunMetricsCollector().quantile(0.95)).toBe(0);
  });

  it('every metric is exposed with its help text, and documented in docs/operations.md', async () => {
    const w = warden();
    const text = await w.metrics();
    const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const name of METRIC_NAMES) {
      expect(text, name).toContain(`# HELP ${name} `);
      expect(doc, name).toContain(`\`${name}\``);
    }
  });

  it('two wardens in one process keep their own metrics', async () => {
    const a = warden();
    const b = warden();
    a.defineJob({ id: 'x', trigger: { everyMs: 3_600_000 }, task: fixture('ok.mjs'), source: () => [1] });
    await a.runNow('x');
    expect(sample(await a.metrics(), 'warden_runs_started_total{job="x",kind="manual"}')).toBe(1);
    expect(sample(await b.metrics(), 'warden_runs_started_total{job="x",kind="manual"}')).toBeUndefined();
  });
});
