import { createStore } from '@xstate/store';
import type { BatchStatus } from '../machines/batch.machine.js';
import type { RunKind } from '../store/types.js';
import type { TypedEmitter } from '../runtime/typedEmitter.js';
import type { WardenEvents } from '../runtime/wardenEvents.js';

/** One job in the live status. */
export interface JobStatus {
  id: string;
  /** The fire armed next (ISO time; absent: none). */
  nextFireAt?: string | undefined;
  /** Runs holding a slot now. */
  running: number;
  circuit: 'closed' | 'open' | 'halfOpen';
  lastRun?: { runId: string; status: BatchStatus | 'failed'; endedAt: string } | undefined;
  /** Dead letters of the job not replayed yet. */
  deadLetters: number;
}

/** One running run in the live status: its chunk progress and its workers' trouble so far. */
export interface RunStatus {
  runId: string;
  jobId: string;
  kind: RunKind;
  startedAt: string;
  /** The chunk that ended last (index, size) and the totals of the chunks ended so far. */
  lastChunk?: { index: number; size: number; succeeded: number; deadLettered: number } | undefined;
  chunksEnded: number;
  succeeded: number;
  deadLettered: number;
  workerRestarts: number;
  stuckWorkers: number;
}

/** `warden.status()` and GET /status: the live read model. */
export interface WardenStatus {
  jobs: JobStatus[];
  runs: RunStatus[];
  store: { path: string; ok: boolean; lastError?: { operation: string; message: string; at: string } | undefined };
}

interface Context {
  jobs: Record<string, JobStatus>;
  runs: Record<string, RunStatus>;
  store: WardenStatus['store'];
}

const job = (ctx: Context, id: string): JobStatus => ctx.jobs[id] ?? { id, running: 0, circuit: 'closed', deadLetters: 0 };
const withJob = (ctx: Context, id: string, patch: (j: JobStatus) => Partial<JobStatus>): Context => {
  const j = job(ctx, id);
  return { ...ctx, jobs: { ...ctx.jobs, [id]: { ...j, ...patch(j) } } };
};
const withRun = (ctx: Context, id: string, patch: (r: RunStatus) => Partial<RunStatus>): Context => {
  const r = ctx.runs[id];
  return r ? { ...ctx, runs: { ...ctx.runs, [id]: { ...r, ...patch(r) } } } : ctx;
};

/**
 * The live status as an @xstate/store: jobs (next fire, runs holding a slot, circuit, last
 * run, dead letters waiting), running runs with their chunk progress, and the store's health.
 * Fed by the warden's typed events (chunk-level, never per task); read by `warden.status()`
 * and GET /status.
 */
export function createStatusStore(storePath: string) {
  return createStore({
    context: { jobs: {}, runs: {}, store: { path: storePath, ok: true } } as Context,
    on: {
      jobDefined: (ctx, e: { jobId: string; deadLetters: number }) => withJob(ctx, e.jobId, () => ({ deadLetters: e.deadLetters })),
      armed: (ctx, e: { jobId: string; nextFireAt: string | undefined }) => withJob(ctx, e.jobId, () => ({ nextFireAt: e.nextFireAt })),
      runStarted: (ctx, e: { jobId: string; runId: string; kind: RunKind; startedAt: string }) => ({
        ...withJob(ctx, e.jobId, (j) => ({ running: j.running + 1 })),
        runs: {
          ...ctx.runs,
          [e.runId]: { runId: e.runId, jobId: e.jobId, kind: e.kind, startedAt: e.startedAt, chunksEnded: 0, succeeded: 0, deadLettered: 0, workerRestarts: 0, stuckWorkers: 0 },
        },
      }),
      chunkEnded: (ctx, e: { runId: string; index: number; size: number; succeeded: number; deadLettered: number }) =>
        withRun(ctx, e.runId, (r) => ({
          lastChunk: { index: e.index, size: e.size, succeeded: e.succeeded, deadLettered: e.deadLettered },
          chunksEnded: r.chunksEnded + 1,
          succeeded: r.succeeded + e.succeeded,
          deadLettered: r.deadLettered + e.deadLettered,
        })),
      workerRestarted: (ctx, e: { runId: string }) => withRun(ctx, e.runId, (r) => ({ workerRestarts: r.workerRestarts + 1 })),
      workerStuck: (ctx, e: { runId: string }) => withRun(ctx, e.runId, (r) => ({ stuckWorkers: r.stuckWorkers + 1 })),
      runEnded: (ctx, e: { jobId: string; runId: string; status: BatchStatus | 'failed'; endedAt: string }) => {
        const { [e.runId]: _gone, ...runs } = ctx.runs;
        return { ...withJob(ctx, e.jobId, (j) => ({ running: Math.max(0, j.running - 1), lastRun: { runId: e.runId, status: e.status, endedAt: e.endedAt } })), runs };
      },
      circuit: (ctx, e: { jobId: string; state: JobStatus['circuit'] }) => withJob(ctx, e.jobId, () => ({ circuit: e.state })),
      deadLetters: (ctx, e: { jobId: string; delta?: number; count?: number }) =>
        withJob(ctx, e.jobId, (j) => ({ deadLetters: e.count ?? j.deadLetters + (e.delta ?? 0) })),
      storeFailed: (ctx, e: { operation: string; message: string; at: string }) => ({ ...ctx, store: { ...ctx.store, ok: false, lastError: e } }),
      storeOk: (ctx) => (ctx.store.ok ? ctx : { ...ctx, store: { ...ctx.store, ok: true } }),
    },
  });
}

export type StatusStore = ReturnType<typeof createStatusStore>;

/** Feeds the status store from the warden's events. */
export function feedStatus(status: StatusStore, events: TypedEmitter<WardenEvents>, now: () => number): void {
  const t = status.trigger;
  events.on('job.armed', (e) => t.armed({ jobId: e.jobId, nextFireAt: e.nextFireAt?.toISOString() }));
  events.on('run.started', (e) => t.runStarted({ jobId: e.jobId, runId: e.runId, kind: e.kind, startedAt: e.startedAt.toISOString() }));
  events.on('chunk.ended', (e) => t.chunkEnded({ runId: e.runId, index: e.index, size: e.size, succeeded: e.succeeded, deadLettered: e.deadLettered }));
  events.on('worker.restarted', (e) => t.workerRestarted({ runId: e.runId }));
  events.on('worker.stuck', (e) => t.workerStuck({ runId: e.runId }));
  events.on('run.finished', (e) => t.runEnded({ jobId: e.jobId, runId: e.runId, status: e.summary.status, endedAt: e.summary.endedAt.toISOString() }));
  events.on('run.failed', (e) => t.runEnded({ jobId: e.jobId, runId: e.runId, status: 'failed', endedAt: new Date(now()).toISOString() }));
  events.on('circuit.opened', (e) => t.circuit({ jobId: e.jobId, state: 'open' }));
  events.on('circuit.halfOpen', (e) => t.circuit({ jobId: e.jobId, state: 'halfOpen' }));
  events.on('circuit.closed', (e) => t.circuit({ jobId: e.jobId, state: 'closed' }));
  events.on('task.deadLettered', (e) => t.deadLetters({ jobId: e.jobId, delta: 1 }));
  events.on('store.failed', (e) => t.storeFailed({ operation: e.operation, message: e.error instanceof Error ? e.error.message : String(e.error), at: new Date(now()).toISOString() }));
}

/** The status as plain JSON-ready data. */
export function statusOf(status: StatusStore): WardenStatus {
  const ctx = status.getSnapshot().context;
  return { jobs: Object.values(ctx.jobs), runs: Object.values(ctx.runs), store: ctx.store };
}
