import type { Database, Statement } from 'better-sqlite3';
import { END_RUN_SQL, runEndRow, type RunEnd, type RunEndRow } from './runEnd.js';
import type { RunKind, StoredRun } from './types.js';

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
  kind: string;
  resume_of: string | null;
  chunk_size: number | null;
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
    kind: r.kind as RunKind,
    ...(r.resume_of !== null ? { resumeOf: r.resume_of } : {}),
    ...(r.chunk_size !== null ? { chunkSize: r.chunk_size } : {}),
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
  start(run: { id: string; jobId: string; slot?: Date | undefined; host: string; startedAt: Date; kind?: RunKind | undefined; resumeOf?: string | undefined; chunkSize?: number | undefined }): void {
    const insert = this.#db.prepare(
      `INSERT INTO runs (id, job_id, slot, host, started_at, status, kind, resume_of, chunk_size) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
    );
    const args = [run.id, run.jobId, run.slot?.getTime() ?? null, run.host, run.startedAt.getTime(), run.kind ?? 'scheduled', run.resumeOf ?? null, run.chunkSize ?? null];
    this.#db.transaction(() => insert.run(...args)).immediate();
  }

  /** The latest fire time any run of the job was started for. */
  latestSlot(jobId: string): number | undefined {
    const r = this.#db.prepare<[string], { slot: number | null }>('SELECT max(slot) AS slot FROM runs WHERE job_id = ?').get(jobId);
    return r?.slot ?? undefined;
  }

  /** Runs still marked `running` (of one job, or all): after a host restart, the runs its death interrupted. */
  running(jobId?: string): StoredRun[] {
    const sql = `SELECT * FROM runs WHERE status = 'running' ${jobId === undefined ? '' : 'AND job_id = ?'} ORDER BY started_at, id`;
    const stmt = this.#db.prepare<unknown[], RunRow>(sql);
    return (jobId === undefined ? stmt.all() : stmt.all(jobId)).map(toRun);
  }

  /** The run and the runs it resumed, newest first (a resume of a resume of …). */
  chain(id: string): StoredRun[] {
    const out: StoredRun[] = [];
    const seen = new Set<string>();
    for (let next: string | undefined = id; next !== undefined && !seen.has(next); ) {
      seen.add(next);
      const run = this.get(next);
      if (!run) break;
      out.push(run);
      next = run.resumeOf;
    }
    return out;
  }

  /** Records how a run ended. Returns false when no run has that id. */
  finish(id: string, end: RunEnd): boolean {
    const update = this.#db.prepare<RunEndRow>(END_RUN_SQL);
    const info = this.#db.transaction(() => update.run(...runEndRow(id, end))).immediate();
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
