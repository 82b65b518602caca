import type { BatchSummary } from '../runtime/batchSummary.js';
import type { DeadLetter } from '../runtime/deadLetter.js';
import type { SkipReason } from '../runtime/wardenEvents.js';

/** A warden event as the demo sees it: `at` is ms since the demo started. */
export type DemoEvent =
  | { type: 'run.started'; at: number; runId: string; scheduledAt: number }
  | { type: 'chunk.ended'; at: number; runId: string; index: number; size: number; succeeded: number; deadLettered: number; failed: boolean; timedOut: boolean }
  | { type: 'task.deadLettered'; at: number; runId: string; letter: DeadLetter }
  | { type: 'worker.restarted'; at: number; runId: string; slot: number }
  | { type: 'circuit.opened'; at: number; runId: string; failures: number }
  | { type: 'circuit.closed'; at: number }
  | { type: 'run.finished'; at: number; runId: string; summary: BatchSummary }
  | { type: 'run.skipped'; at: number; scheduledAt: number; reason: SkipReason }
  | { type: 'run.missed'; at: number; scheduledAt: number };

/** A chunk as it ended. */
export interface DemoChunk {
  index: number;
  size: number;
  succeeded: number;
  deadLettered: number;
  failed: boolean;
}

/** One run of the demo job, as far as the events told. */
export interface DemoRun {
  n: number;
  runId: string;
  /** Epoch ms of the fire it is for, and ms after it that it started. */
  scheduledAt: number;
  lateMs: number;
  startedAt: number;
  chunks: DemoChunk[];
  /** Letters so far (also of chunks not ended yet). */
  deadLettered: number;
  workerRestarts: number;
  circuitOpened: boolean;
  summary?: BatchSummary | undefined;
}

/** Everything the demo shows live: the runs, the job's circuit, the fires handled. */
export interface DemoState {
  runs: DemoRun[];
  circuit: 'closed' | 'open';
  /** The runs whose end closed the job's circuit (the probes that went through). */
  probes: number[];
  /** Fires handled: started, skipped or missed. */
  fires: number;
  skipped: Array<{ scheduledAt: number; reason: SkipReason | 'missed' }>;
}

export function initialDemoState(): DemoState {
  return { runs: [], circuit: 'closed', probes: [], fires: 0, skipped: [] };
}

/** Applies one event (mutates and returns `s`). `epoch` turns an event's `at` into epoch ms. */
export function applyDemoEvent(s: DemoState, e: DemoEvent, epoch: number): DemoState {
  const run = 'runId' in e ? s.runs.find((r) => r.runId === e.runId) : undefined;
  switch (e.type) {
    case 'run.started':
      s.fires++;
      s.runs.push({
        n: s.runs.length + 1,
        runId: e.runId,
        scheduledAt: e.scheduledAt,
        lateMs: Math.max(0, epoch + e.at - e.scheduledAt),
        startedAt: e.at,
        chunks: [],
        deadLettered: 0,
        workerRestarts: 0,
        circuitOpened: false,
      });
      break;
    case 'chunk.ended':
      run?.chunks.push({ index: e.index, size: e.size, succeeded: e.succeeded, deadLettered: e.deadLettered, failed: e.failed });
      break;
    case 'task.deadLettered':
      if (run) run.deadLettered++;
      break;
    case 'worker.restarted':
      if (run) run.workerRestarts++;
      break;
    case 'circuit.opened':
      if (run) run.circuitOpened = true;
      break;
    case 'run.finished':
      if (run) run.summary = e.summary;
      if (e.summary.reason === 'circuit-open') s.circuit = 'open';
      break;
    case 'circuit.closed':
      s.circuit = 'closed';
      if (s.runs.length > 0) s.probes.push(s.runs.length);
      break;
    case 'run.skipped':
    case 'run.missed':
      s.fires++;
      s.skipped.push({ scheduledAt: e.scheduledAt, reason: e.type === 'run.missed' ? 'missed' : e.reason });
      break;
  }
  return s;
}

/** Tasks of a run settled so far: those of its ended chunks (the whole run once it finished). */
export function settledTasks(r: DemoRun): { settled: number; succeeded: number } {
  if (r.summary) return { settled: r.summary.succeeded + r.summary.deadLettered, succeeded: r.summary.succeeded };
  return r.chunks.reduce((a, c) => ({ settled: a.settled + c.succeeded + c.deadLettered, succeeded: a.succeeded + c.succeeded }), { settled: 0, succeeded: 0 });
}
