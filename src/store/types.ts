import type { DeadLetterReason } from '../machines/deadLetterReason.js';
import type { SerializedError } from '../machines/workerProtocol.js';
import type { StoredInput } from './payload.js';

/** How a run came to be: a fire, runNow, the resume of an interrupted run, or a dead-letter replay. */
export type RunKind = 'scheduled' | 'manual' | 'resume' | 'replay';

/** One run of a job as stored. Times are Dates; `metrics` is whatever JSON the run recorded. */
export interface StoredRun {
  id: string;
  jobId: string;
  /** The scheduled fire time this run is for (absent for a run not started by a fire). */
  slot?: Date | undefined;
  host: string;
  startedAt: Date;
  endedAt?: Date | undefined;
  /** `'running'` until the run ends, then the batch status. */
  status: string;
  reason?: string | undefined;
  metrics?: unknown;
  kind: RunKind;
  /** The interrupted run this one resumes. */
  resumeOf?: string | undefined;
  /** Tasks per chunk of this run (what its recorded chunk numbers count in). */
  chunkSize?: number | undefined;
}

/** A chunk whose every task ended, as recorded for a run. */
export interface StoredChunk {
  runId: string;
  index: number;
  size: number;
  succeeded: number;
  deadLettered: number;
  endedAt: Date;
}

/** What the store remembers of a job's schedule across host restarts. */
export interface StoredJobState {
  jobId: string;
  /** The latest fire handled (run, skipped or missed). */
  lastFire?: Date | undefined;
  /** The fire armed next. */
  nextFire?: Date | undefined;
}

/** A dead letter as listed: everything but the input (see `get`). */
export interface StoredDeadLetterSummary {
  id: number;
  jobId: string;
  runId: string;
  key: string;
  index: number;
  reason: DeadLetterReason;
  error: SerializedError;
  attempts: number;
  firstFailedAt: Date;
  lastFailedAt: Date;
  /** Size of the stored input (bytes). */
  inputBytes: number;
  replayedAt?: Date | undefined;
  replayRunId?: string | undefined;
  /** The letter this one is a new failure of (after a replay). */
  replayOf?: number | undefined;
}

/** A dead letter with its input decoded (or the reason it cannot be). */
export interface StoredDeadLetter<I = unknown> extends StoredDeadLetterSummary {
  payload: StoredInput<I>;
}

/** A page of `deadLetters.list`. `cursor` is absent on the last page. */
export interface Page<T> {
  items: T[];
  cursor?: string | undefined;
}

export interface DeadLetterFilter {
  jobId?: string | undefined;
  runId?: string | undefined;
  reason?: DeadLetterReason | undefined;
  /** Rows per page (1–1000, default 100). */
  limit?: number | undefined;
  /** From the previous page's `cursor`. */
  cursor?: string | undefined;
}
