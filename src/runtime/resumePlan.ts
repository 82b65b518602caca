import type { SqliteStore } from '../store/openSqliteStore.js';

/** What a resume skips: the source positions the interrupted run (and the runs it resumed) settled. */
export interface ResumePlan {
  /** True for a position already settled: in a chunk recorded settled, or dead-lettered. */
  skip: (position: number) => boolean;
  /** Tasks settled by the earlier runs: positions skipped for sure (chunks recorded settled + letters outside them). */
  settled: { chunks: number; succeeded: number; deadLettered: number };
}

/**
 * Builds the skip rule for resuming `runId`: every run of its resume chain counts, each with the
 * chunk size it ran with (a chunk c of a run with chunk size n holds positions [c·n, (c+1)·n)).
 * Tasks of unsettled chunks that succeeded before the host died run again (at-least-once);
 * those dead-lettered are not run again.
 */
export function resumePlan(store: SqliteStore, runId: string): ResumePlan {
  const ranges: Array<{ size: number; chunks: Set<number> }> = [];
  const lettered = new Set<number>();
  const settled = { chunks: 0, succeeded: 0, deadLettered: 0 };
  const covered = (p: number) => ranges.some((r) => r.chunks.has(Math.floor(p / r.size)));
  const chain = store.runs.chain(runId);
  for (const run of chain) {
    const chunks = store.progress.chunks(run.id);
    if (run.chunkSize !== undefined && chunks.length > 0) {
      ranges.push({ size: run.chunkSize, chunks: new Set(chunks.map((c) => c.index)) });
      for (const c of chunks) {
        settled.chunks++;
        settled.succeeded += c.succeeded;
        settled.deadLettered += c.deadLettered;
      }
    }
  }
  for (const run of chain) {
    for (const p of store.progress.letteredPositions(run.id)) {
      if (covered(p) || lettered.has(p)) continue;
      lettered.add(p);
      settled.deadLettered++;
    }
  }
  return { skip: (p) => lettered.has(p) || covered(p), settled };
}
