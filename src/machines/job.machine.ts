import { enqueueActions, setup } from 'xstate';
import { planFire } from './planFire.js';

/** Node fires a longer timer after 1 ms: a longer wait is armed in steps of at most this. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface JobInput {
  jobId: string;
  /** Runs of this job at once; a fire at the limit is skipped (`run.skipped`). */
  maxInstances: number;
  /** Several fires due at once run once (true) or each (false). */
  coalesce: boolean;
  /** A fire handled later than this after its scheduled time is dropped (`run.missed`). */
  misfireGraceMs: number;
  /** A run's budget: at start + jobMs it is told to stop (`run.timeout`). */
  jobMs: number;
  /** After `run.timeout`, how long before the slot is released even if the run never reports its end. */
  releaseMs: number;
  /** Longest single timer (default 2^31−1). Only tests lower it. */
  maxDelayMs?: number;
  /** Run ids are this plus a counter (default `<jobId>#`); a host with a store makes it unique per process start. */
  runIdPrefix?: string;
}

/** One running instance. Slots are a fixed array of `maxInstances`; each has its own timer, id `run-slot-<i>`. */
export interface RunSlot {
  runId: string;
  /** The scheduled time it runs for (clock ms). */
  slot: number;
  startedAt: number;
  /** Told to stop at its job budget; now waiting for its end (or the release backstop). */
  timedOut: boolean;
}

export interface JobContext extends Required<JobInput> {
  slots: Array<RunSlot | null>;
  /** Absolute (clock ms) next fire time, while armed or due. */
  dueAt: number | undefined;
  /** When the current step timer was armed and its length: `armedAt + stepMs` is the clock when it fires. */
  armedAt: number;
  stepMs: number;
  /** Runs started so far (names the next runId). */
  runs: number;
}

export type JobEvent =
  /** Arm the next fire at `dueAt` (clock ms); `at` is the clock now. */
  | { type: 'ARM'; dueAt: number; at: number }
  /** Fires due now (`scheduled`, clock ms), handled at `at`; then arm `next` (none: the trigger is done). */
  | { type: 'FIRE'; at: number; scheduled: readonly number[]; next: number | undefined }
  /** A run on demand, now. */
  | { type: 'RUN_NOW'; at: number }
  /** A run ended (its batch resolved): its slot is free. */
  | { type: 'RUN_ENDED'; runId: string }
  /** Stop arming; running instances keep their timers until they end. */
  | { type: 'CLOSE' }
  /** Internal: the timer of slot `index` (job budget, then release backstop). */
  | { type: 'SLOT_TIMER'; index: number };

export type JobEmitted =
  | { type: 'due'; dueAt: number }
  | { type: 'run.start'; runId: string; slot: number; coalesced: number; manual: boolean }
  | { type: 'run.skipped'; slot: number; reason: 'max-instances'; running: number; manual: boolean }
  | { type: 'run.missed'; slot: number; lateMs: number }
  | { type: 'run.timeout'; runId: string; slot: number }
  | { type: 'run.released'; runId: string; forced: boolean };

export const slotTimerId = (index: number): string => `run-slot-${index}`;

const clampStep = (ms: number, max: number): number => Math.min(Math.max(0, ms), max);

type Outcome =
  | { kind: 'start'; index: number; runId: string; slot: number; coalesced: number }
  | { kind: 'skip'; slot: number };

/** Gives each fire a free slot (a new run) or none (skipped at the limit). Pure. */
function startOrSkip(context: JobContext, fires: ReadonlyArray<{ slot: number; coalesced: number }>, at: number) {
  const slots = [...context.slots];
  let runs = context.runs;
  const outcomes: Outcome[] = [];
  for (const f of fires) {
    const index = slots.indexOf(null);
    if (index < 0) {
      outcomes.push({ kind: 'skip', slot: f.slot });
      continue;
    }
    runs++;
    const runId = `${context.runIdPrefix}${runs}`;
    slots[index] = { runId, slot: f.slot, startedAt: at, timedOut: false };
    outcomes.push({ kind: 'start', index, runId, slot: f.slot, coalesced: f.coalesced });
  }
  return { slots, runs, outcomes };
}

/**
 * One scheduled job: armed with its next fire time (absolute, computed outside from the
 * trigger), it decides what a fire does (run, skip at maxInstances, missed past the
 * grace, coalesce) and bounds every run by its job budget. Pure: no I/O, no clock reads;
 * times come in events (`at`) and every wait is a timer whose length comes from context.
 *
 * - `armed` waits in steps of at most `maxDelayMs` (2^31−1) until `dueAt`, then emits
 *   `due` and waits in `due` for the runtime's `FIRE` (which carries the clock's now, the
 *   fire times due, and the next one).
 * - Each running instance holds a slot with its own timer: at `jobMs` → `run.timeout`;
 *   `releaseMs` later → the slot is released anyway (`run.released`, forced). `RUN_ENDED`
 *   releases it at once.
 */
export const jobMachine = setup({
  types: {
    context: {} as JobContext,
    events: {} as JobEvent,
    input: {} as JobInput,
    emitted: {} as JobEmitted,
  },
  delays: {
    step: ({ context }) => context.stepMs,
  },
  guards: {
    reachedDue: ({ context }) => context.dueAt !== undefined && context.armedAt + context.stepMs >= context.dueAt,
    hasNext: ({ event }) => event.type === 'FIRE' && event.next !== undefined,
    noRuns: ({ context }) => context.slots.every((s) => s === null),
  },
  actions: {
    arm: enqueueActions(({ context, event, enqueue }) => {
      if (event.type === 'ARM') {
        enqueue.assign({ dueAt: event.dueAt, armedAt: event.at, stepMs: clampStep(event.dueAt - event.at, context.maxDelayMs) });
      } else if (event.type === 'FIRE' && event.next !== undefined) {
        enqueue.assign({ dueAt: event.next, armedAt: event.at, stepMs: clampStep(event.next - event.at, context.maxDelayMs) });
      }
    }),
    stepOn: enqueueActions(({ context, enqueue }) => {
      const now = context.armedAt + context.stepMs;
      enqueue.assign({ armedAt: now, stepMs: clampStep((context.dueAt ?? now) - now, context.maxDelayMs) });
    }),
    emitDue: enqueueActions(({ context, enqueue }) => {
      enqueue.emit({ type: 'due', dueAt: context.dueAt as number });
    }),
    disarm: enqueueActions(({ enqueue }) => enqueue.assign({ dueAt: undefined })),
    /** FIRE (scheduled) and RUN_NOW (manual): missed fires, then a run or a skip for each. */
    fire: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'FIRE' && event.type !== 'RUN_NOW') return;
      const manual = event.type === 'RUN_NOW';
      let fires: ReadonlyArray<{ slot: number; coalesced: number }> = [{ slot: event.at, coalesced: 1 }];
      if (event.type === 'FIRE') {
        const plan = planFire(event.scheduled, event.at, context.misfireGraceMs, context.coalesce);
        for (const m of plan.missed) enqueue.emit({ type: 'run.missed', slot: m.slot, lateMs: m.lateMs });
        fires = plan.runs;
      }
      const r = startOrSkip(context, fires, event.at);
      enqueue.assign({ slots: r.slots, runs: r.runs });
      for (const o of r.outcomes) {
        if (o.kind === 'skip') {
          enqueue.emit({ type: 'run.skipped', slot: o.slot, reason: 'max-instances', running: r.slots.length, manual });
        } else {
          enqueue.raise({ type: 'SLOT_TIMER', index: o.index }, { id: slotTimerId(o.index), delay: context.jobMs });
          enqueue.emit({ type: 'run.start', runId: o.runId, slot: o.slot, coalesced: o.coalesced, manual });
        }
      }
    }),
    runEnded: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RUN_ENDED') return;
      const index = context.slots.findIndex((s) => s?.runId === event.runId);
      if (index < 0) return; // already released by the backstop
      enqueue.cancel(slotTimerId(index));
      enqueue.assign({ slots: context.slots.map((s, i) => (i === index ? null : s)) });
      enqueue.emit({ type: 'run.released', runId: event.runId, forced: false });
    }),
    slotTimer: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'SLOT_TIMER') return;
      const s = context.slots[event.index];
      if (!s) return;
      if (!s.timedOut) {
        enqueue.assign({ slots: context.slots.map((x, i) => (i === event.index ? { ...s, timedOut: true } : x)) });
        enqueue.raise({ type: 'SLOT_TIMER', index: event.index }, { id: slotTimerId(event.index), delay: context.releaseMs });
        enqueue.emit({ type: 'run.timeout', runId: s.runId, slot: s.slot });
        return;
      }
      enqueue.assign({ slots: context.slots.map((x, i) => (i === event.index ? null : x)) });
      enqueue.emit({ type: 'run.released', runId: s.runId, forced: true });
    }),
  },
}).createMachine({
  id: 'job',
  context: ({ input }) => ({
    ...input,
    maxDelayMs: input.maxDelayMs ?? MAX_TIMER_MS,
    runIdPrefix: input.runIdPrefix ?? `${input.jobId}#`,
    slots: Array.from({ length: input.maxInstances }, () => null),
    dueAt: undefined,
    armedAt: 0,
    stepMs: 0,
    runs: 0,
  }),
  initial: 'idle',
  on: {
    RUN_ENDED: { actions: 'runEnded' },
    SLOT_TIMER: { actions: 'slotTimer' },
  },
  states: {
    idle: {
      on: {
        ARM: { target: 'armed', actions: 'arm' },
        FIRE: [
          { guard: 'hasNext', target: 'armed', actions: ['fire', 'arm'] },
          { actions: 'fire' },
        ],
        RUN_NOW: { actions: 'fire' },
        CLOSE: { target: 'closed' },
      },
    },
    armed: {
      after: {
        step: [
          { guard: 'reachedDue', target: 'due', actions: ['stepOn', 'emitDue'] },
          { target: 'armed', reenter: true, actions: 'stepOn' },
        ],
      },
      on: {
        ARM: { target: 'armed', reenter: true, actions: 'arm' },
        RUN_NOW: { actions: 'fire' },
        CLOSE: { target: 'closed', actions: 'disarm' },
      },
    },
    due: {
      on: {
        FIRE: [
          { guard: 'hasNext', target: 'armed', actions: ['fire', 'arm'] },
          { target: 'idle', actions: ['fire', 'disarm'] },
        ],
        RUN_NOW: { actions: 'fire' },
        CLOSE: { target: 'closed', actions: 'disarm' },
      },
    },
    closed: {
      always: { guard: 'noRuns', target: 'done' },
    },
    done: { type: 'final' },
  },
});
