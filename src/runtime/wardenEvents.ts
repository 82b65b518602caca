import type { BatchEvent } from './batchEvent.js';
import type { BatchSummary } from './batchSummary.js';
import type { DeadLetter } from './deadLetter.js';
import type { RunKind } from '../store/types.js';
import type { RunMetrics } from '../observe/runMetrics.js';

/** Which run of which job an event is about. */
export interface RunRef {
  jobId: string;
  runId: string;
}

/** A batch event (`runBatch({ onEvent })`) of a run, as the warden delivers it: its fields plus `jobId` and `runId`. */
export type RunBatchEvent<T extends BatchEvent['type']> = RunRef & Omit<Extract<BatchEvent, { type: T }>, 'type'>;

/** Why a fire was skipped. */
export type SkipReason = 'max-instances' | 'circuit-open';

/** The events `warden.on(type, fn)` delivers, by type. */
export interface WardenEvents {
  /** `kind`: a fire (`scheduled`), runNow (`manual`), the resume of a run a dead host left (`resume`, with `resumeOf`), or a dead-letter replay (`replay`). */
  'run.started': { jobId: string; runId: string; scheduledAt: Date; startedAt: Date; manual: boolean; coalesced: number; kind: RunKind; resumeOf?: string | undefined };
  /** A run a dead host left unfinished was found on start: resumed by `resumedBy`, or its unfinished tasks dead-lettered `interrupted` (`deadLettered`). */
  'run.interrupted': { jobId: string; runId: string; resumedBy?: string | undefined; deadLettered: number };
  /** A write to the store failed (the warden goes on; rows of a failed flush are tried again). */
  'store.failed': { operation: string; error: unknown };
  /** The run ended (the slot is already free); `metrics` is what is stored with it. */
  'run.finished': { jobId: string; runId: string; summary: BatchSummary; metrics: RunMetrics };
  /** The run could not start its batch (the task module failed to load). */
  'run.failed': { jobId: string; runId: string; error: unknown };
  /** A fire (or runNow) did not run: at the instance limit (`max-instances`), or the job's circuit is open (`circuit-open`). */
  'run.skipped': { jobId: string; scheduledAt: Date; reason: SkipReason; running: number; manual: boolean };
  'run.missed': { jobId: string; scheduledAt: Date; lateMs: number };
  /** The run reached its job budget and is being stopped. */
  'run.timeout': { jobId: string; runId: string; jobMs: number };
  /** The slot of a run that did not report its end within the release bound was freed anyway. */
  'run.released': { jobId: string; runId: string };
  'task.deadLettered': { jobId: string; runId: string; letter: DeadLetter };
  /** A worker thread of the run was replaced (hang, crash or failed start): `slot`. */
  'worker.restarted': RunBatchEvent<'worker.restarted'>;
  /** A terminated thread of the run did not exit within `terminateMs`; replaced without waiting: `slot`. */
  'worker.stuck': RunBatchEvent<'worker.stuck'>;
  /** The run's circuit opened after `failures` consecutive tripping failures: the run stops (`circuit-open`). */
  'circuit.opened': RunBatchEvent<'circuit.opened'>;
  /** The job's circuit is half-open after its cool-down: the next run is the probe. */
  'circuit.halfOpen': { jobId: string };
  /** The fire armed next for the job (`nextFireAt` absent: the trigger fires no more). */
  'job.armed': { jobId: string; nextFireAt?: Date | undefined };
  /** The job's circuit closed: the half-open trial run (the probe) after the cool-down did not end `circuit-open`. */
  'circuit.closed': { jobId: string };
  /** A chunk of the run ended: `index, size, succeeded, deadLettered, timedOut, failed`. */
  'chunk.ended': RunBatchEvent<'chunk.ended'>;
}

export type WardenEventType = keyof WardenEvents;
