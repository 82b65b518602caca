import type { Database, Statement } from 'better-sqlite3';
import type { StoredChunk } from './types.js';

interface ChunkRow {
  run_id: string;
  chunk: number;
  size: number;
  succeeded: number;
  dead_lettered: number;
  ended_at: number;
}

/** Reads run progress: the chunks each run settled, and the positions it dead-lettered (what a resume skips). */
export class ProgressStore {
  readonly #db: Database;
  readonly #chunks: Statement<[string], ChunkRow>;
  readonly #lettered: Statement<[string, number], { task_index: number }>;

  constructor(db: Database) {
    this.#db = db;
    this.#chunks = db.prepare<[string], ChunkRow>('SELECT * FROM run_chunks WHERE run_id = ? ORDER BY chunk');
    this.#lettered = db.prepare<[string, number], { task_index: number }>(
      'SELECT task_index FROM dead_letters WHERE run_id = ? AND task_index >= ?',
    );
  }

  /** The chunks a run settled, in order. */
  chunks(runId: string): StoredChunk[] {
    return this.#chunks.all(runId).map((r) => ({
      runId: r.run_id,
      index: r.chunk,
      size: r.size,
      succeeded: r.succeeded,
      deadLettered: r.dead_lettered,
      endedAt: new Date(r.ended_at),
    }));
  }

  /** Source positions (from `from` on) that a run dead-lettered. */
  letteredPositions(runId: string, from = 0): number[] {
    return this.#lettered.all(runId, from).map((r) => r.task_index);
  }

  /** Number of rows in `run_chunks` for a run (for tests and tools). */
  count(runId: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM run_chunks WHERE run_id = ?').get(runId) as { n: number }).n;
  }
}
