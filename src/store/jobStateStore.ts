import type { Database, Statement } from 'better-sqlite3';
import type { StoredJobState } from './types.js';

interface JobStateRow {
  job_id: string;
  last_fire: number | null;
  next_fire: number | null;
}

/** Each job's last and next fire, so fires that fell while the host was down are handled on start. */
export class JobStateStore {
  readonly #get: Statement<[string], JobStateRow>;
  readonly #upsert: Statement<[{ jobId: string; last: number | null; next: number | null; now: number }]>;
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare<[string], JobStateRow>('SELECT job_id, last_fire, next_fire FROM job_state WHERE job_id = ?');
    // last_fire only moves forward; next_fire is what was armed (NULL: nothing more to fire)
    this.#upsert = db.prepare(
      `INSERT INTO job_state (job_id, last_fire, next_fire, updated_at) VALUES (@jobId, @last, @next, @now)
       ON CONFLICT (job_id) DO UPDATE SET
         last_fire = CASE WHEN @last IS NULL THEN last_fire ELSE max(coalesce(last_fire, @last), @last) END,
         next_fire = @next,
         updated_at = @now`,
    );
  }

  get(jobId: string): StoredJobState | undefined {
    const r = this.#get.get(jobId);
    if (!r) return undefined;
    return {
      jobId: r.job_id,
      ...(r.last_fire !== null ? { lastFire: new Date(r.last_fire) } : {}),
      ...(r.next_fire !== null ? { nextFire: new Date(r.next_fire) } : {}),
    };
  }

  /** Records the fire armed next (`nextFire`, undefined: none) and, after a fire, the fire handled (`lastFire`). One IMMEDIATE transaction. */
  set(jobId: string, state: { lastFire?: number | undefined; nextFire: number | undefined }, now: number): void {
    this.#db.transaction(() => this.#upsert.run({ jobId, last: state.lastFire ?? null, next: state.nextFire ?? null, now })).immediate();
  }
}
