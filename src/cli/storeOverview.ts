import { hostname } from 'node:os';
import type { SqliteStore } from '../store/openSqliteStore.js';
import type { StoredRun } from '../store/types.js';
import { hostAliveElsewhere } from '../runtime/wardenStorage.js';

/** One job as `warden status` shows it, read from the store file. */
export interface JobOverview {
  jobId: string;
  runs: number;
  lastRun?: StoredRun | undefined;
  /** Runs still marked running: `hostAlive` false means their host died (a warden started on this file resumes them). */
  running: Array<StoredRun & { hostAlive: boolean | undefined }>;
  lastFire?: Date | undefined;
  nextFire?: Date | undefined;
  /** Dead letters not replayed yet, by reason, and in all. */
  deadLetters: { pending: number; byReason: Record<string, number>; total: number };
}

/** Every job the file knows (from its runs, schedule state and dead letters), by id. */
export function storeOverview(store: SqliteStore): JobOverview[] {
  const ids = store.db
    .prepare<[], { job_id: string }>('SELECT job_id FROM runs UNION SELECT job_id FROM job_state UNION SELECT job_id FROM dead_letters ORDER BY 1')
    .all()
    .map((r) => r.job_id);
  const runCount = store.db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM runs WHERE job_id = ?');
  const letters = store.db.prepare<[string], { reason: string; pending: number; total: number }>(
    'SELECT reason, sum(replayed_at IS NULL) AS pending, count(*) AS total FROM dead_letters WHERE job_id = ? GROUP BY reason ORDER BY reason',
  );
  return ids.map((jobId) => {
    const state = store.jobs.get(jobId);
    const byReason: Record<string, number> = {};
    let pending = 0;
    let total = 0;
    for (const r of letters.all(jobId)) {
      if (r.pending > 0) byReason[r.reason] = r.pending;
      pending += r.pending;
      total += r.total;
    }
    return {
      jobId,
      runs: runCount.get(jobId)?.n ?? 0,
      lastRun: newestRuns(store, { jobId, limit: 1 })[0],
      running: store.runs.running(jobId).map((r) => ({ ...r, hostAlive: hostAlive(r.host) })),
      lastFire: state?.lastFire,
      nextFire: state?.nextFire,
      deadLetters: { pending, byReason, total },
    };
  });
}

/** The newest `limit` runs (of a job, with a status), given oldest first. */
export function newestRuns(store: SqliteStore, filter: { jobId?: string | undefined; status?: string | undefined; limit: number }): StoredRun[] {
  const where: string[] = [];
  const params: Record<string, string | number> = { limit: filter.limit };
  if (filter.jobId !== undefined) (where.push('job_id = @jobId'), (params['jobId'] = filter.jobId));
  if (filter.status !== undefined) (where.push('status = @status'), (params['status'] = filter.status));
  const ids = store.db
    .prepare<Record<string, string | number>, { id: string }>(
      `SELECT id FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, rowid DESC LIMIT @limit`,
    )
    .all(params)
    .map((r) => r.id);
  return ids.reverse().flatMap((id) => store.runs.get(id) ?? []);
}

/** Dead letters of a run, by reason. */
export function runLetters(store: SqliteStore, runId: string): Record<string, number> {
  const rows = store.db.prepare<[string], { reason: string; n: number }>('SELECT reason, count(*) AS n FROM dead_letters WHERE run_id = ? GROUP BY reason ORDER BY reason').all(runId);
  return Object.fromEntries(rows.map((r) => [r.reason, r.n]));
}

/** Whether the run's host process is alive: known for a host on this machine, undefined for another machine's. */
function hostAlive(host: string): boolean | undefined {
  const at = host.lastIndexOf('#');
  if (at < 0 || host.slice(0, at) !== hostname()) return undefined;
  return hostAliveElsewhere(host);
}
