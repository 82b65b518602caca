import { describe, expect } from 'vitest';
import { createActor, type AnyEventObject } from 'xstate';
import {
  chunkMachine,
  type ChunkContext,
  type ChunkEvent,
  type ChunkInput,
} from '../../src/machines/chunk.machine.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const CHUNK_TIMEOUT = 'xstate.after.chunkTimeout.chunk.phase.running';
const WAKE = 'xstate.after.wakeDelay.chunk.wake.armed';

const events: ChunkEvent[] = [
  { type: 'START', index: 0, size: 4 },
  { type: 'START', index: 1, size: 0 },
  { type: 'COMPLETE', succeeded: 4, deadLettered: 0 },
  { type: 'COMPLETE', succeeded: 2, deadLettered: 2 },
  { type: 'STOP' },
  { type: 'WAKE_IN', delayMs: 30 },
  { type: 'WAKE_IN', delayMs: 45 },
  { type: 'DISARM' },
];

type Value = { phase: 'idle' | 'running'; wake: 'off' | 'armed' };

/** The `ended` event, computed by hand from the counts. */
function ended(c: Pick<ChunkContext, 'index' | 'size' | 'succeeded' | 'deadLettered'>, timedOut: boolean, ratio: number): AnyEventObject {
  const failed = timedOut || (c.size > 0 && c.deadLettered / c.size >= ratio);
  return { type: 'ended', index: c.index, size: c.size, succeeded: c.succeeded, deadLettered: c.deadLettered, timedOut, failed };
}

function expectedEmitted(step: StepInfo, input: ChunkInput): AnyEventObject[] {
  const before = step.before.snap.value as Value;
  const c = step.before.snap.context as ChunkContext;
  const fired = step.fired?.event.type;
  if (fired === WAKE) return [{ type: 'wake' }];
  if (fired === CHUNK_TIMEOUT) return [ended(c, true, input.failureRatio)];
  const e = step.event as ChunkEvent;
  if (e.type === 'COMPLETE' && before.phase === 'running') {
    return [ended({ ...c, succeeded: e.succeeded, deadLettered: e.deadLettered }, false, input.failureRatio)];
  }
  return [];
}

function spec(name: string, input: ChunkInput): ModelSpec<ChunkContext> {
  return {
    name,
    machine: chunkMachine,
    input,
    events,
    observe: (c) => ({ index: c.index, size: c.size, succeeded: c.succeeded, deadLettered: c.deadLettered, wakeMs: c.wakeMs }),
    expectedDelay: (type, c) => {
      if (type === CHUNK_TIMEOUT) return input.chunkMs;
      if (type === WAKE) return c.wakeMs;
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted: (step) => expectedEmitted(step, input),
    createSut: (clock, inspect) => {
      const actor = createActor(chunkMachine, { clock, input, inspect }).start();
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const where = `step ${step.index} (${step.event.type})`;
          const before = step.before.snap.value as Value;
          const value = actor.getSnapshot().value as Value;
          // A chunk that ends (or stops) always disarms the wake-up.
          if (before.phase === 'running' && value.phase === 'idle') expect(value.wake, `${where}: wake disarmed`).toBe('off');
          // WAKE_IN arms the wake-up for exactly the requested delay.
          const e = step.event as ChunkEvent;
          if (e.type === 'WAKE_IN' && step.fired === undefined) {
            expect(value.wake, `${where}: wake armed`).toBe('armed');
            expect(step.after.timers.find((t) => t.event.type === WAKE)?.delay, `${where}: wake delay`).toBe(e.delayMs);
          }
        },
      };
    },
  };
}

describe('chunk machine (model-based)', () => {
  modelSuite(
    chunkMachine,
    [spec('chunkMs 100, ratio 0.5', { chunkMs: 100, failureRatio: 0.5 })],
    { transitions: 8, minPaths: 10 },
  );
});
