import type { DeadLetterReason } from '../machines/deadLetterReason.js';
import type { StoredDeadLetterSummary } from './types.js';

/** A dead_letters row as SQLite returns it (without the input blob). */
export interface DeadLetterRow {
  id: number;
  job_id: string;
  run_id: string;
  task_key: string;
  task_index: number;
  input_bytes: number;
  input_error: string | null;
  reason: string;
  error_name: string;
  error_message: string;
  error_code: string | number | null;
  error_stack: string | null;
  attempts: number;
  first_failed_at: number;
  last_failed_at: number;
  replayed_at: number | null;
  replay_run_id: string | null;
  replay_of: number | null;
}

export const SUMMARY_COLUMNS = `id, job_id, run_id, task_key, task_index, length(input) AS input_bytes, input_error,
  reason, error_name, error_message, error_code, error_stack, attempts, first_failed_at, last_failed_at,
  replayed_at, replay_run_id, replay_of`;

export function toSummary(r: DeadLetterRow): StoredDeadLetterSummary {
  return {
    id: r.id,
    jobId: r.job_id,
    runId: r.run_id,
    key: r.task_key,
    index: r.task_index,
    reason: r.reason as DeadLetterReason,
    error: {
      name: r.error_name,
      message: r.error_message,
      ...(r.error_code !== null ? { code: r.error_code } : {}),
      ...(r.error_stack !== null ? { stack: r.error_stack } : {}),
    },
    attempts: r.attempts,
    firstFailedAt: new Date(r.first_failed_at),
    lastFailedAt: new Date(r.last_failed_at),
    inputBytes: r.input_bytes,
    ...(r.replayed_at !== null ? { replayedAt: new Date(r.replayed_at) } : {}),
    ...(r.replay_run_id !== null ? { replayRunId: r.replay_run_id } : {}),
    ...(r.replay_of !== null ? { replayOf: r.replay_of } : {}),
  };
}
