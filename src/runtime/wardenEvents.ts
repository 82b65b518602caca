import type { BatchSummary } from './batchSummary.js';
import type { DeadLetter } from './deadLetter.js';

/** The events `warden.on(type, fn)` delivers, by type. */
export interface WardenEvents {
  'run.started': { jobId: string; runId: string; scheduledAt: Date; startedAt: Date; manual: boolean; coalesced: number };
  'run.finished': { jobId: string; runId: string; summary: BatchSummary };
  /** The run could not start its batch (the task module failed to load). */
  'run.failed': { jobId: string; runId: string; error: unknown };
  'run.skipped': { jobId: string; scheduledAt: Date; reason: 'max-instances'; running: number; manual: boolean };
  'run.missed': { jobId: string; scheduledAt: Date; lateMs: number };
  /** The run reached its job budget and is being stopped. */
  'run.timeout': { jobId: string; runId: string; jobMs: number };
  /** The slot of a run that did not report its end within the release bound was freed anyway. */
  'run.released': { jobId: string; runId: string };
  'task.deadLettered': { jobId: string; runId: string; letter: DeadLetter };
}

export type WardenEventType = keyof WardenEvents;
