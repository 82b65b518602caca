import type { Database, Statement } from 'better-sqlite3';
import type { StoredRun } from './types.js';

interface RunRow {
  id: string;
  job_id: string;
  slot: number | null;
  host: string;
  started_at: number;
  ended_at: number | null;
  status: string;
  reason: string | null;
  metrics: string | null;
}

function toRun(r: RunRow): StoredRun {
  return {
    id: r.id,
    jobId: r.job_id,
    ...(r.slot !== null ? { slot: new Date(r.slot) } : {}),
    host: r.host,
    startedAt: new Date(r.started_at),
    ...(r.ended_at !== null ? { endedAt: new Date(r.ended_at) } : {}),
    status: r.status,
    ...(r.reason !== null ? { reason: r.reason } : {}),
    ...(r.metrics !== null ? { metrics: JSON.parse(r.metrics) as unknown } : {}),
  };
}

/** Run history. Run rows are few, so each write is its own IMMEDIATE transaction. */
export class RunStore {
  readonly #db: Database;
  readonly #get: Statement<[string], RunRow>;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?');
  }

  /** Records a run as `running`. */
  start(run: { id: string; jobId: string; slot?: Date | undefined; host: string; startedAt: Date }): void {
    const insert = this.#db.prepare(
      `INSERT INTO runs (id, job_id, slot, host, started_at, status) VALUES (?, ?, ?, ?, ?, 'running')`,
    );
    this.#db.transaction(() => insert.run(run.id, run.jobId, run.slot?.getTime() ?? null, run.host, run.startedAt.getTime())).immediate();
  }

  /** Records how a run ended. Returns false when no run has that id. */
  finish(id: string, end: { endedAt: Date; status: string; reason?: string | undefined; metrics?: unknown }): boolean {
    const update = this.#db.prepare('UPDATE runs SET ended_at = ?, status = ?, reason = ?, metrics = ? WHERE id = ?');
    const metrics = end.metrics === undefined ? null : JSON.stringify(end.metrics);
    const info = this.#db.transaction(() => update.run(end.endedAt.getTime(), end.status, end.reason ?? null, metrics, id)).immediate();
    return info.changes === 1;
  }

  get(id: string): StoredRun | undefined {
    const row = this.#get.get(id);
    return row ? toRun(row) : undefined;
  }

  /** Runs of a job (or all), oldest first, at most `limit` (default 100). */
  list(filter: { jobId?: string | undefined; status?: string | undefined; limit?: number | undefined } = {}): StoredRun[] {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: filter.limit ?? 100 };
    if (filter.jobId !== undefined) (where.push('job_id = @jobId'), (params.jobId = filter.jobId));
    if (filter.status !== undefined) (where.push('status = @status'), (params.status = filter.status));
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at, id LIMIT @limit`;
    return this.#db.prepare<Record<string, string | number>, RunRow>(sql).all(params).map(toRun);
  }
}
