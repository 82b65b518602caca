import pino from 'pino';
import { runBatch } from '../runtime/runBatch.js';
import type { BatchSummary } from '../runtime/batchSummary.js';
import type { DeadLetter } from '../runtime/deadLetter.js';
import { demoGrid, type DemoPoint } from './demoGrid.js';

const TASK = new URL('./demoTask.mjs', import.meta.url);

/** Runs the demo batch and prints what happened. Returns the summary (for tests). */
export async function runDemo(out: (line: string) => void = console.log): Promise<BatchSummary> {
  out('Warden demo: one batch of 80 grid points on 2 supervised workers.');
  out('Some points hang (a busy loop, Atomics.wait, a dead DB connection awaited forever),');
  out('one crashes its worker, one has bad data, one hits a flaky connection and is retried.');
  out('Budgets: task 1 s (heartbeat 300 ms), chunk 20 s, batch 60 s, kill grace 200 ms.\n');
  const letters: DeadLetter<DemoPoint>[] = [];
  const summary = await runBatch<DemoPoint>({
    task: TASK,
    source: demoGrid(80),
    key: (p) => `${p.lat.toFixed(1)},${p.lon.toFixed(1)}`,
    workers: 2,
    chunkSize: 20,
    earlyChunks: 0,
    retry: { attempts: 2, backoff: { initialMs: 50, factor: 2, maxMs: 200 } },
    timeouts: { taskMs: 1_000, heartbeatMs: 300, chunkMs: 20_000, batchMs: 60_000, killGraceMs: 200 },
    logger: pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'silent' }),
    onDeadLetter: (l) => {
      letters.push(l);
      out(`  dead letter  ${l.key.padEnd(10)} ${l.reason.padEnd(8)} after ${l.attempts} attempt(s): ${l.error.message}`);
    },
  });
  out('');
  out(`status        ${summary.status}${summary.reason ? ` (${summary.reason})` : ''}`);
  out(`tasks         ${summary.total} total = ${summary.succeeded} succeeded + ${summary.deadLettered} dead-lettered + ${summary.pending} pending`);
  const reasons = Object.entries(summary.byReason).filter(([, n]) => n > 0).map(([r, n]) => `${r} ${n}`);
  out(`dead letters  ${reasons.join(', ') || 'none'}`);
  out(`chunks        ${summary.chunks.completed} completed, ${summary.chunks.failed} failed`);
  out(`workers       ${summary.workerRestarts} replaced, ${summary.stuckThreads} stuck`);
  out(`duration      ${summary.durationMs} ms`);
  out('\nEvery hung task was stopped at its budget and its worker replaced; the batch ended and returned.');
  return summary;
}
