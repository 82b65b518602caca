import { describe, expect } from 'vitest';
import { createActor, type AnyEventObject } from 'xstate';
import {
  batchMachine,
  type BatchContext,
  type BatchEvent,
  type BatchInput,
  type BatchOutput,
  type BatchStatus,
  type BatchStopReason,
} from '../../src/machines/batch.machine.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const BATCH_TIMEOUT = 'xstate.after.batchTimeout.batch.active';
const STOP_TIMEOUT = 'xstate.after.stopTimeout.batch.stopping';

const events: BatchEvent[] = [
  { type: 'WORKER_READY' },
  { type: 'CHUNK_ENDED', failed: true },
  { type: 'CHUNK_ENDED', failed: false },
  { type: 'SOURCE_DONE', deadLettered: 0 },
  { type: 'SOURCE_DONE', deadLettered: 1 },
  { type: 'ABORT' },
  { type: 'FATAL' },
  { type: 'SOURCE_FAILED' },
  { type: 'CIRCUIT_OPENED' },
  { type: 'ESCALATED' },
  { type: 'STOPPED' },
];

/** How each way of ending a batch must be reported, by hand. */
const endings: Record<string, { status: BatchStatus; reason: BatchStopReason | undefined }> = {
  ABORT: { status: 'aborted', reason: 'aborted' },
  FATAL: { status: 'failed', reason: 'fatal-error' },
  SOURCE_FAILED: { status: 'failed', reason: 'source-error' },
  CIRCUIT_OPENED: { status: 'aborted', reason: 'circuit-open' },
  ESCALATED: { status: 'failed', reason: 'restart-intensity' },
  [BATCH_TIMEOUT]: { status: 'timedOut', reason: 'batch-timeout' },
  CHUNK_ENDED: { status: 'failed', reason: 'early-chunk-failed' },
};

function ending(step: StepInfo): BatchOutput {
  const e = step.fired?.event ?? step.event;
  if (e.type === 'SOURCE_DONE') {
    return { status: (e as BatchEvent & { type: 'SOURCE_DONE' }).deadLettered > 0 ? 'partial' : 'completed', reason: undefined };
  }
  const known = endings[e.type];
  if (!known) throw new Error(`${e.type} does not stop a batch`);
  return known;
}

const ctx = (step: StepInfo, which: 'before' | 'after'): BatchContext => step[which].snap.context as BatchContext;

function expectedEmitted(step: StepInfo): AnyEventObject[] {
  const entersStopping = step.after.snap.value === 'stopping' && step.before.snap.value !== 'stopping';
  return entersStopping ? [{ type: 'stopping', ...ending(step) }] : [];
}

function spec(name: string, input: BatchInput): ModelSpec<BatchContext> {
  return {
    name,
    machine: batchMachine,
    input,
    events,
    observe: (c) => ({ chunksEnded: c.chunksEnded, chunksFailed: c.chunksFailed, status: c.status, reason: c.reason }),
    // Chunk counts only matter up to `earlyChunks`: bound them so the model is finite.
    abstract: (c) => ({
      chunksEnded: Math.min(c.chunksEnded, input.earlyChunks + 1),
      chunksFailed: Math.min(c.chunksFailed, 1),
      status: c.status,
      reason: c.reason,
    }),
    expectedDelay: (type) => {
      if (type === BATCH_TIMEOUT) return input.batchMs;
      if (type === STOP_TIMEOUT) return input.stopMs;
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted,
    createSut: (clock, inspect) => {
      // No worker threads: the spawned pool, circuit and chunk actors stay quiet.
      const actor = createActor(batchMachine, { clock, input, inspect }).start();
      expect(Object.keys(actor.getSnapshot().children).sort()).toEqual(['chunk', 'circuit', 'pool']);
      let end: BatchOutput | undefined;
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const where = `step ${step.index} (${step.event.type})`;
          const snap = actor.getSnapshot();
          if (step.event.type === 'CHUNK_ENDED' && step.before.snap.matches({ active: 'running' })) {
            // A failed chunk among the first `earlyChunks` stops the batch; any other is counted.
            const before = ctx(step, 'before');
            const failed = (step.event as BatchEvent & { type: 'CHUNK_ENDED' }).failed;
            if (failed && before.chunksEnded < input.earlyChunks) expect(snap.value, where).toBe('stopping');
            else {
              expect(snap.value, where).toEqual({ active: 'running' });
              expect(snap.context.chunksEnded, where).toBe(before.chunksEnded + 1);
              expect(snap.context.chunksFailed, where).toBe(before.chunksFailed + (failed ? 1 : 0));
            }
          }
          if (snap.value === 'stopping' && step.before.snap.value !== 'stopping') {
            end = ending(step);
            expect({ status: snap.context.status, reason: snap.context.reason }, `${where}: ending`).toEqual(end);
          }
          if (snap.status === 'done') {
            expect(snap.output, `${where}: output`).toEqual(end);
            const children = Object.entries(snap.children).map(([id, child]) => [id, child!.getSnapshot().status]);
            expect(children.sort(), `${where}: children stopped`).toEqual([
              ['chunk', 'stopped'],
              ['circuit', 'stopped'],
              ['pool', 'stopped'],
            ]);
          }
        },
      };
    },
  };
}

const pool = {
  threads: 0,
  intensity: 3,
  periodMs: 1000,
  worker: { taskMs: 100, killGraceMs: 10, startTimeoutMs: 100, terminateTimeoutMs: 10, restartBackoff: { initialMs: 1, factor: 2, maxMs: 8 } },
};
const circuit = { threshold: 3, cooldownMs: 100 };
const chunk = { chunkMs: 100, failureRatio: 0.5 };

describe('batch machine (model-based)', () => {
  modelSuite(
    batchMachine,
    [
      spec('one early chunk', { batchMs: 1000, earlyChunks: 1, stopMs: 150, pool, circuit, chunk }),
      spec('no early chunk', { batchMs: 500, earlyChunks: 0, stopMs: 80, pool, circuit, chunk }),
    ],
    { transitions: 12, minPaths: 12 },
  );
});
