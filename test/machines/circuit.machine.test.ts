import { describe, expect } from 'vitest';
import { createActor, type AnyEventObject } from 'xstate';
import {
  circuitMachine,
  type CircuitContext,
  type CircuitEvent,
  type CircuitInput,
} from '../../src/machines/circuit.machine.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const COOLDOWN = 'xstate.after.cooldown.circuit.open';
const events: CircuitEvent[] = [{ type: 'SUCCESS' }, { type: 'TRIP' }];

/** The breaker's rules, written out by hand: where a step must lead. */
function expectedNext(step: StepInfo, input: CircuitInput): { value: string; failures: number } {
  const value = step.before.snap.value as string;
  const failures = (step.before.snap.context as CircuitContext).failures;
  const type = step.fired?.event.type ?? step.event.type;
  if (value === 'closed' && type === 'SUCCESS') return { value, failures: 0 };
  if (value === 'closed' && type === 'TRIP') return { value: failures + 1 >= input.threshold ? 'open' : 'closed', failures: failures + 1 };
  if (value === 'open' && type === COOLDOWN) return { value: 'halfOpen', failures };
  if (value === 'halfOpen' && type === 'SUCCESS') return { value: 'closed', failures: 0 };
  if (value === 'halfOpen' && type === 'TRIP') return { value: 'open', failures: failures + 1 };
  throw new Error(`no step ${type} from ${value}`);
}

function expectedEmitted(step: StepInfo): AnyEventObject[] {
  const before = step.before.snap.value;
  const after = step.after.snap.value;
  const failures = (step.after.snap.context as CircuitContext).failures;
  if (after === 'open' && before !== 'open') return [{ type: 'opened', failures }];
  if (after === 'halfOpen' && before !== 'halfOpen') return [{ type: 'halfOpened' }];
  if (before === 'halfOpen' && step.event.type === 'SUCCESS') return [{ type: 'closed' }];
  return [];
}

function spec(name: string, input: CircuitInput): ModelSpec<CircuitContext> {
  return {
    name,
    machine: circuitMachine,
    input,
    events,
    observe: (c) => ({ failures: c.failures, threshold: c.threshold, cooldownMs: c.cooldownMs }),
    // Re-opening from halfOpen keeps counting: bound the count so the model is finite.
    abstract: (c) => Math.min(c.failures, input.threshold + 1),
    expectedDelay: (type) => {
      if (type === COOLDOWN) return input.cooldownMs;
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted,
    createSut: (clock, inspect) => {
      const actor = createActor(circuitMachine, { clock, input, inspect }).start();
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const snap = actor.getSnapshot();
          expect({ value: snap.value, failures: snap.context.failures }, `step ${step.index}: breaker rules`).toEqual(
            expectedNext(step, input),
          );
        },
      };
    },
  };
}

describe('circuit machine (model-based)', () => {
  modelSuite(
    circuitMachine,
    [spec('threshold 3', { threshold: 3, cooldownMs: 500 }), spec('threshold 1', { threshold: 1, cooldownMs: 30 })],
    { transitions: 6, minPaths: 4 },
  );
});
