import { describe, expect } from 'vitest';
import { createActor, fromCallback, type AnyActorRef, type AnyEventObject, type EventObject } from 'xstate';
import { poolMachine, workerId, type PoolContext, type PoolEvent, type PoolInput } from '../../src/machines/pool.machine.js';
import { workerMachine, type ThreadInput, type WorkerEvent } from '../../src/machines/worker.machine.js';
import type { ThreadCommand } from '../../src/machines/workerProtocol.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const events: PoolEvent[] = [
  { type: 'RESTARTED', slot: 0 },
  { type: 'RESTARTED', slot: 1 },
  { type: 'STOP', reason: 'batch-timeout' },
];

/** Restarts come 30 ms (slot 0) or 45 ms (slot 1) after the previous step: each expires at its own instant. */
const gapMs = (e: EventObject): number => (e.type === 'RESTARTED' ? 30 + 15 * (e as AnyEventObject).slot : 0);

/**
 * A thread that starts at once and exits when terminated: the slots sit idle with no
 * timer of their own, so the only RESTARTED the pool sees are the ones the test sends.
 */
const quietThread = fromCallback<ThreadCommand, ThreadInput>(({ sendBack, receive }) => {
  sendBack({ type: 'READY' } satisfies WorkerEvent);
  receive((command) => {
    if (command.type === 'terminate') sendBack({ type: 'EXITED', code: 0 } satisfies WorkerEvent);
  });
});
const pool = poolMachine.provide({ actors: { worker: workerMachine.provide({ actors: { thread: quietThread } }) } });

function expectedEmitted(step: StepInfo, input: PoolInput): AnyEventObject[] {
  const e = step.event;
  if (e.type !== 'RESTARTED' || step.before.snap.value !== 'supervising') return [];
  const restarts = (step.before.snap.context as PoolContext).recentRestarts + 1;
  return step.after.snap.value === 'escalated'
    ? [{ type: 'escalated', restarts, periodMs: input.periodMs }]
    : [{ type: 'restarted', slot: (e as PoolEvent & { type: 'RESTARTED' }).slot }];
}

function spec(name: string, input: PoolInput): ModelSpec<PoolContext> {
  return {
    name,
    machine: poolMachine,
    input,
    events,
    gapMs,
    observe: (c) => ({ recentRestarts: c.recentRestarts }),
    expectedDelay: (type) => {
      if (type === 'RESTART_EXPIRED') return input.periodMs;
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted: (step) => expectedEmitted(step, input),
    createSut: (clock, inspect) => {
      const stopsReceived: AnyEventObject[] = [];
      const actor = createActor(pool, {
        clock,
        input,
        inspect: (ev) => {
          inspect(ev);
          const to = (ev.actorRef as AnyActorRef).id;
          if (ev.type === '@xstate.event' && ev.event.type === 'STOP' && to.startsWith('worker-')) stopsReceived.push({ ...ev.event, to });
        },
      }).start();
      const workers = Array.from({ length: input.threads }, (_, i) => actor.getSnapshot().children[workerId(i)] as AnyActorRef);
      const restartTimes: number[] = [];
      let stopped = false;
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const where = `step ${step.index} (${step.event.type})`;
          // The sliding window, by hand: escalate when more than `intensity` restarts
          // happened within the last `periodMs`.
          if (step.event.type === 'RESTARTED' && step.before.snap.value === 'supervising') {
            const now = clock.now();
            restartTimes.push(now);
            const inWindow = restartTimes.filter((t) => t > now - input.periodMs).length;
            expect(actor.getSnapshot().value, `${where}: ${inWindow} restarts within ${input.periodMs} ms`).toBe(
              inWindow > input.intensity ? 'escalated' : 'supervising',
            );
          }
          // STOP reaches every slot with its reason; the slots stop their threads.
          if (step.event.type === 'STOP') {
            expect(stopsReceived.splice(0), `${where}: STOP sent to the slots`).toEqual(
              workers.map((w) => ({ type: 'STOP', reason: 'batch-timeout', to: w.id })),
            );
            stopped = true;
          }
          for (const w of workers) {
            expect(w.getSnapshot().value, `${where}: ${w.id}`).toEqual(stopped ? 'stopped' : { alive: 'idle' });
          }
        },
      };
    },
  };
}

const worker = {
  taskMs: 1000,
  killGraceMs: 50,
  startTimeoutMs: 200,
  terminateTimeoutMs: 80,
  restartBackoff: { initialMs: 10, factor: 2, maxMs: 40 },
};

describe('pool machine (model-based, restart window)', () => {
  modelSuite(
    poolMachine,
    [
      spec('intensity 2 in 100 ms', { threads: 2, intensity: 2, periodMs: 100, worker }),
      spec('intensity 0 (first restart escalates)', { threads: 2, intensity: 0, periodMs: 100, worker }),
    ],
    { transitions: 5, minPaths: 5 },
  );
});
