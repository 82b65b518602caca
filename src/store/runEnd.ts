/** How a run ended, as its row records it. */
export interface RunEnd {
  endedAt: Date;
  status: string;
  reason?: string | undefined;
  /** Stored as JSON. */
  metrics?: unknown;
}

/** The UPDATE that records a run's end; its parameters are `runEndRow`'s. */
export const END_RUN_SQL = 'UPDATE runs SET ended_at = ?, status = ?, reason = ?, metrics = ? WHERE id = ?';

export type RunEndRow = [endedAt: number, status: string, reason: string | null, metrics: string | null, runId: string];

export function runEndRow(runId: string, end: RunEnd): RunEndRow {
  return [end.endedAt.getTime(), end.status, end.reason ?? null, end.metrics === undefined ? null : JSON.stringify(end.metrics), runId];
}
