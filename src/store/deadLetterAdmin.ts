import type { Database } from 'better-sqlite3';
import type { DeadLetterReason } from '../machines/deadLetterReason.js';

/** Which letters `purge` deletes; every given field must match. */
export interface PurgeFilter {
  jobId?: string | undefined;
  runId?: string | undefined;
  reason?: DeadLetterReason | undefined;
  ids?: readonly number[] | undefined;
  /** Only letters already replayed (true) or not yet (false). */
  replayed?: boolean | undefined;
  /** Only letters whose last failure is before this time. */
  before?: Date | undefined;
}

/** The letters a replay takes: of a job not yet replayed, or exactly these ids. */
export type ReplaySelection = { jobId: string } | { ids: readonly number[] };

/** Dead letters after the fact: what a replay takes, and purges (replay marks are written by the StoreWriter, with the replay run's end). */
export class DeadLetterAdmin {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Ids and jobs of the letters a replay takes, oldest first (ids of an `ids` selection that do not exist are left out). */
  select(sel: ReplaySelection): Array<{ id: number; jobId: string }> {
    if ('ids' in sel) {
      const get = this.#db.prepare<[number], { id: number; job_id: string }>('SELECT id, job_id FROM dead_letters WHERE id = ?');
      const out: Array<{ id: number; jobId: string }> = [];
      for (const id of [...new Set(sel.ids)].sort((a, b) => a - b)) {
        const r = get.get(id);
        if (r) out.push({ id: r.id, jobId: r.job_id });
      }
      return out;
    }
    return this.#db
      .prepare<[string], { id: number }>('SELECT id FROM dead_letters WHERE job_id = ? AND replayed_at IS NULL ORDER BY id')
      .all(sel.jobId)
      .map((r) => ({ id: r.id, jobId: sel.jobId }));
  }

  /** Letters of a job not replayed yet. */
  waiting(jobId: string): number {
    return (this.#db.prepare('SELECT count(*) AS n FROM dead_letters WHERE job_id = ? AND replayed_at IS NULL').get(jobId) as { n: number }).n;
  }

  /** Deletes the matching letters; returns how many. */
  purge(filter: PurgeFilter): number {
    const where: string[] = [];
    const params: Record<string, string | number> = {};
    if (filter.jobId !== undefined) (where.push('job_id = @jobId'), (params.jobId = filter.jobId));
    if (filter.runId !== undefined) (where.push('run_id = @runId'), (params.runId = filter.runId));
    if (filter.reason !== undefined) (where.push('reason = @reason'), (params.reason = filter.reason));
    if (filter.replayed !== undefined) where.push(filter.replayed ? 'replayed_at IS NOT NULL' : 'replayed_at IS NULL');
    if (filter.before !== undefined) (where.push('last_failed_at < @before'), (params.before = filter.before.getTime()));
    if (filter.ids !== undefined) where.push(`id IN (${filter.ids.map((id) => Math.trunc(Number(id))).join(',') || 'NULL'})`);
    const sql = `DELETE FROM dead_letters ${where.length ? `WHERE ${where.join(' AND ')}` : ''}`;
    return this.#db.transaction(() => this.#db.prepare(sql).run(params).changes).immediate();
  }
}
