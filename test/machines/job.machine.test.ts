import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, type AnyEventObject } from 'xstate';
import { jobMachine, MAX_TIMER_MS, type JobContext, type JobEmitted, type JobEvent, type JobInput } from '../../src/machines/job.machine.js';
import { nextFire, type FireRule } from '../../src/runtime/nextFire.js';
import type { ModelSpec, StepInfo } from './helpers/replay.js';
import { modelSuite } from './helpers/suite.js';

const base: JobInput = { jobId: 'j', maxInstances: 1, coalesce: true, misfireGraceMs: 1_000, jobMs: 5_000, releaseMs: 2_000 };

/** A job actor on a SimulatedClock, with the runtime's part played by hand: `due` → FIRE (every `everyMs`). */
function harness(input: Partial<JobInput>, rule?: FireRule) {
  const clock = new SimulatedClock();
  const actor = createActor(jobMachine, { clock, input: { ...base, ...input } });
  type Seen = JobEmitted & { now: number };
  const emitted: Seen[] = [];
  actor.on('*', (e) => {
    emitted.push({ ...e, now: clock.now() });
    if (e.type === 'due' && rule) actor.send({ type: 'FIRE', at: clock.now(), scheduled: [e.dueAt], next: nextFire(rule, clock.now()) });
  });
  actor.start();
  const of = <T extends JobEmitted['type']>(type: T) => emitted.filter((e): e is Extract<JobEmitted, { type: T }> & { now: number } => e.type === type);
  return { clock, actor, emitted, of, send: (e: JobEvent) => actor.send(e) };
}

describe('job machine: maxInstances', () => {
  it('maxInstances 1: a fire while a run holds the slot is skipped, exactly at the limit', () => {
    const h = harness({ maxInstances: 1, jobMs: 3_500 }, { kind: 'every', everyMs: 1_000, anchor: 0 });
    h.send({ type: 'ARM', dueAt: 1_000, at: 0 });
    for (let i = 0; i < 3; i++) h.clock.increment(1_000);
    expect(h.emitted.filter((e) => e.type !== 'due').map((e) => [e.type, e.now])).toEqual([
      ['run.start', 1_000],
      ['run.skipped', 2_000],
      ['run.skipped', 3_000],
    ]);
    expect(h.of('run.skipped')[0]).toMatchObject({ reason: 'max-instances', running: 1, manual: false });
    h.send({ type: 'RUN_ENDED', runId: 'j#1' });
    h.clock.increment(1_000);
    expect(h.of('run.start').map((e) => [e.runId, e.slot])).toEqual([
      ['j#1', 1_000],
      ['j#2', 4_000],
    ]);
  });

  it('maxInstances 2: two overlapping runs start, the third fire is skipped; a freed slot is reused', () => {
    const h = harness({ maxInstances: 2, jobMs: 4_500 }, { kind: 'every', everyMs: 1_000, anchor: 0 });
    h.send({ type: 'ARM', dueAt: 1_000, at: 0 });
    for (let i = 0; i < 3; i++) h.clock.increment(1_000);
    expect(h.emitted.filter((e) => e.type !== 'due').map((e) => [e.type, e.now])).toEqual([
      ['run.start', 1_000],
      ['run.start', 2_000],
      ['run.skipped', 3_000],
    ]);
    expect(h.of('run.skipped')[0]).toMatchObject({ running: 2 });
    h.send({ type: 'RUN_ENDED', runId: 'j#1' });
    h.clock.increment(1_000);
    expect(h.of('run.start').map((e) => e.runId)).toEqual(['j#1', 'j#2', 'j#3']);
    expect(h.actor.getSnapshot().context.slots.map((s) => s?.runId)).toEqual(['j#3', 'j#2']);
  });

  it('runNow at the limit is skipped (manual); below it, starts', () => {
    const h = harness({ maxInstances: 1 });
    h.send({ type: 'RUN_NOW', at: 0 });
    h.send({ type: 'RUN_NOW', at: 0 });
    expect(h.emitted.map((e) => [e.type, 'manual' in e && e.manual])).toEqual([
      ['run.start', true],
      ['run.skipped', true],
    ]);
  });
});

describe('job machine: job timeout and the slot', () => {
  it('at jobMs: run.timeout; the slot is held until RUN_ENDED', () => {
    const h = harness({ jobMs: 5_000, releaseMs: 2_000 });
    h.send({ type: 'RUN_NOW', at: 0 });
    h.clock.increment(4_999);
    expect(h.of('run.timeout')).toEqual([]);
    h.clock.increment(1);
    expect(h.of('run.timeout')).toEqual([{ type: 'run.timeout', runId: 'j#1', slot: 0, now: 5_000 }]);
    expect(h.actor.getSnapshot().context.slots[0]).toMatchObject({ timedOut: true });
    h.send({ type: 'RUN_ENDED', runId: 'j#1' });
    expect(h.actor.getSnapshot().context.slots).toEqual([null]);
    h.clock.increment(10_000); // the backstop was cancelled
    expect(h.of('run.released')).toEqual([{ type: 'run.released', runId: 'j#1', forced: false, now: 5_000 }]);
  });

  it('backstop: a run that never reports its end loses its slot at jobMs + releaseMs', () => {
    const h = harness({ jobMs: 5_000, releaseMs: 2_000 });
    h.send({ type: 'RUN_NOW', at: 0 });
    h.clock.increment(5_000);
    h.clock.increment(1_999);
    expect(h.actor.getSnapshot().context.slots[0]).not.toBeNull();
    h.clock.increment(1);
    expect(h.of('run.released')).toEqual([{ type: 'run.released', runId: 'j#1', forced: true, now: 7_000 }]);
    expect(h.actor.getSnapshot().context.slots).toEqual([null]);
    h.send({ type: 'RUN_ENDED', runId: 'j#1' }); // late: ignored
    expect(h.of('run.released')).toHaveLength(1);
    h.send({ type: 'RUN_NOW', at: 7_000 });
    expect(h.of('run.start')).toHaveLength(2);
  });

  it('a run that ends before its budget cancels its timer', () => {
    const h = harness({ jobMs: 5_000 });
    h.send({ type: 'RUN_NOW', at: 0 });
    h.clock.increment(100);
    h.send({ type: 'RUN_ENDED', runId: 'j#1' });
    h.clock.increment(20_000);
    expect(h.of('run.timeout')).toEqual([]);
  });
});

describe('job machine: coalesce and misfire grace', () => {
  const five = [1_000, 2_000, 3_000, 4_000, 5_000];

  it('coalesce: 5 missed fires run once, as the latest', () => {
    const h = harness({ coalesce: true, misfireGraceMs: 10_000 });
    h.send({ type: 'FIRE', at: 5_500, scheduled: five, next: undefined });
    expect(h.emitted.map((e) => e.type)).toEqual(['run.start']);
    expect(h.of('run.start')[0]).toMatchObject({ slot: 5_000, coalesced: 5 });
  });

  it('no coalesce: 5 missed fires run each (maxInstances 5)', () => {
    const h = harness({ coalesce: false, maxInstances: 5, misfireGraceMs: 10_000 });
    h.send({ type: 'FIRE', at: 5_500, scheduled: five, next: undefined });
    expect(h.of('run.start').map((e) => e.slot)).toEqual(five);
    expect(h.of('run.skipped')).toEqual([]);
  });

  it('no coalesce with maxInstances 1: the first runs, the 4 others are skipped at the limit', () => {
    const h = harness({ coalesce: false, maxInstances: 1, misfireGraceMs: 10_000 });
    h.send({ type: 'FIRE', at: 5_500, scheduled: five, next: undefined });
    expect(h.emitted.map((e) => [e.type, 'slot' in e && e.slot])).toEqual([['run.start', 1_000], ...five.slice(1).map((s) => ['run.skipped', s])]);
  });

  it('misfire: a fire exactly at the grace runs; 1 ms later it is missed', () => {
    const inside = harness({ misfireGraceMs: 1_000 });
    inside.send({ type: 'FIRE', at: 2_000, scheduled: [1_000], next: undefined });
    expect(inside.emitted.map((e) => e.type)).toEqual(['run.start']);
    const outside = harness({ misfireGraceMs: 1_000 });
    outside.send({ type: 'FIRE', at: 2_001, scheduled: [1_000], next: undefined });
    expect(outside.emitted).toEqual([{ type: 'run.missed', slot: 1_000, lateMs: 1_001, now: 0 }]);
  });

  it('coalesce with some fires past the grace: those are missed, the rest run once', () => {
    const h = harness({ coalesce: true, misfireGraceMs: 2_000 });
    h.send({ type: 'FIRE', at: 5_500, scheduled: five, next: undefined });
    expect(h.emitted.map((e) => [e.type, 'slot' in e && e.slot])).toEqual([
      ['run.missed', 1_000],
      ['run.missed', 2_000],
      ['run.missed', 3_000],
      ['run.start', 5_000],
    ]);
    expect(h.of('run.start')[0]).toMatchObject({ coalesced: 2 });
  });
});

describe('job machine: long delays are armed in steps', () => {
  it("the yearly cron '0 2 1 1 *' (Asia/Seoul) is armed in steps ≤ 2^31−1 ms and fires on time, not early", () => {
    const rule: FireRule = { kind: 'cron', cron: new Cron('0 2 1 1 *', { timezone: 'Asia/Seoul', paused: true }) };
    const h = harness({}, rule);
    const start = Date.parse('2026-01-02T00:00:00Z');
    h.clock.set(start);
    const dueAt = nextFire(rule, start) as number;
    expect(new Date(dueAt).toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(dueAt - start).toBeGreaterThan(10 * MAX_TIMER_MS);
    h.send({ type: 'ARM', dueAt, at: start });
    // Advance to 1 ms before each step's end (nothing may fire), then onto it (a SimulatedClock
    // jump past a timer would re-arm it late: land on each one).
    let steps = 0;
    for (;;) {
      const c: JobContext = h.actor.getSnapshot().context;
      expect(c.stepMs).toBeLessThanOrEqual(MAX_TIMER_MS);
      const end = c.armedAt + c.stepMs;
      if (end >= dueAt) break;
      h.clock.set(end - 1);
      h.clock.set(end);
      steps++;
      expect(h.emitted).toEqual([]); // nothing fires early
      expect(h.actor.getSnapshot().value).toBe('armed');
    }
    expect(steps).toBe(Math.floor((dueAt - start) / MAX_TIMER_MS));
    h.clock.set(dueAt - 1);
    expect(h.emitted).toEqual([]);
    h.clock.increment(1);
    expect(h.emitted.map((e) => [e.type, e.now])).toEqual([
      ['due', dueAt],
      ['run.start', dueAt],
    ]);
    // and it is armed for the next year
    expect(h.actor.getSnapshot().context.dueAt).toBe(Date.parse('2027-12-31T17:00:00Z'));
  });
});

// ---------------------------------------------------------------- model-based paths

const M = { jobId: 'm', misfireGraceMs: 50, jobMs: 509, releaseMs: 211, maxDelayMs: 303 };
const AHEAD = 707; // armed 707 ms ahead: steps of 303, 303, 101
const STEP = 'xstate.after.step.job.armed';

/** Ordinary events as offsets from the time they are sent (stamped with it). */
const modelEvents: JobEvent[] = [
  { type: 'ARM', dueAt: AHEAD, at: 0 },
  { type: 'FIRE', at: 0, scheduled: [0], next: AHEAD },
  { type: 'FIRE', at: 0, scheduled: [-120], next: AHEAD }, // late: missed
  { type: 'FIRE', at: 0, scheduled: [0], next: undefined }, // the trigger is done
  { type: 'RUN_NOW', at: 0 },
  { type: 'RUN_ENDED', runId: 'm#1' },
  { type: 'RUN_ENDED', runId: 'm#2' },
  { type: 'RUN_ENDED', runId: 'm#3' },
  { type: 'CLOSE' },
];

function stamp(e: JobEvent, t: number): JobEvent {
  switch (e.type) {
    case 'ARM':
      return { ...e, dueAt: e.dueAt + t, at: t };
    case 'FIRE':
      return { ...e, at: t, scheduled: e.scheduled.map((s) => s + t), next: e.next === undefined ? undefined : e.next + t };
    case 'RUN_NOW':
      return { ...e, at: t };
    default:
      return e;
  }
}

/** What the job's rules say a step emits, written out apart from the machine. */
function expectedJobEmitted(step: StepInfo): AnyEventObject[] {
  const before = step.before.snap.context as JobContext;
  const after = step.after.snap.context as JobContext;
  const out: AnyEventObject[] = [];
  const fired = step.fired?.event;
  if (fired?.type === STEP) {
    if (step.after.snap.value === 'due') out.push({ type: 'due', dueAt: before.dueAt });
    return out;
  }
  if (fired?.type === 'SLOT_TIMER') {
    const i = (fired as JobEvent & { type: 'SLOT_TIMER' }).index;
    const s = before.slots[i]!;
    return [s.timedOut ? { type: 'run.released', runId: s.runId, forced: true } : { type: 'run.timeout', runId: s.runId, slot: s.slot }];
  }
  const e = step.event as JobEvent;
  const free = before.slots.filter((s) => s === null).length;
  const fire = (slot: number, manual: boolean, coalesced: number) =>
    free > 0
      ? out.push({ type: 'run.start', runId: `m#${before.runs + 1}`, slot, coalesced, manual })
      : out.push({ type: 'run.skipped', slot, reason: 'max-instances', running: before.slots.length, manual });
  if (e.type === 'RUN_NOW') fire(e.at, true, 1);
  if (e.type === 'FIRE') {
    for (const s of e.scheduled) {
      if (e.at - s > M.misfireGraceMs) out.push({ type: 'run.missed', slot: s, lateMs: e.at - s });
      else fire(s, false, 1);
    }
  }
  if (e.type === 'RUN_ENDED' && before.slots.some((s) => s?.runId === e.runId)) out.push({ type: 'run.released', runId: e.runId, forced: false });
  void after;
  return out;
}

function jobSpec(name: string, maxInstances: number, maxRuns: number, events: JobEvent[]): ModelSpec<JobContext> {
  const input: JobInput = { ...M, maxInstances, coalesce: true };
  return {
    name,
    machine: jobMachine,
    input,
    events,
    stamp: (e, t) => stamp(e as JobEvent, t),
    // Events take no time (time passes only when a timer fires), so the model stays finite.
    // The environment's side: at most `maxRuns` runs in a path, never two started at the
    // same instant (their timers would tie); ARM in `armed` only when just armed (a
    // re-arm at any other moment adds vertices, not transitions); RUN_ENDED only for a
    // run that holds a slot.
    allow: (event, state) => {
      const c = state.snap.context as JobContext;
      const e = event as JobEvent;
      if (e.type === 'FIRE' || e.type === 'RUN_NOW') return c.runs < maxRuns && !c.slots.some((x) => x?.startedAt === state.now);
      if (e.type === 'ARM') return state.snap.value === 'idle' || c.armedAt === state.now;
      if (e.type === 'RUN_ENDED') return c.slots.some((s) => s?.runId === e.runId);
      return true;
    },
    observe: (c) => ({ slots: c.slots, dueAt: c.dueAt, armedAt: c.armedAt, stepMs: c.stepMs, runs: c.runs }),
    abstract: (c, now) => ({
      slots: c.slots.map((s) => s && { timedOut: s.timedOut, runId: s.runId }),
      due: c.dueAt === undefined ? null : Math.max(-1, c.dueAt - now),
      runs: c.runs,
    }),
    expectedDelay: (type, c, at) => {
      if (type === STEP) return c.stepMs;
      // a slot's first timer is its job budget (armed as it starts), the second the release backstop
      if (type === 'SLOT_TIMER') return c.slots.some((x) => x?.startedAt === at && !x.timedOut) ? M.jobMs : M.releaseMs;
      throw new Error(`unexpected timer ${type}`);
    },
    expectedEmitted: expectedJobEmitted,
    createSut: (clock, inspect) => {
      const actor = createActor(jobMachine, { clock, input, inspect }).start();
      return {
        root: actor,
        target: actor,
        afterStep: (step) => {
          const c = actor.getSnapshot().context;
          expect(c.stepMs, `step ${step.index}: a step never exceeds maxDelayMs`).toBeLessThanOrEqual(M.maxDelayMs);
          expect(c.slots.filter(Boolean).length, `step ${step.index}: slots`).toBeLessThanOrEqual(maxInstances);
        },
      };
    },
  };
}

describe('job machine (model-based)', () => {
  const onDemand = modelEvents.filter((e) => e.type === 'RUN_NOW' || e.type === 'RUN_ENDED' || e.type === 'CLOSE');
  modelSuite(
    jobMachine,
    [jobSpec('schedule, maxInstances 1', 1, 2, modelEvents), jobSpec('runs on demand, maxInstances 2', 2, 3, onDemand)],
    { transitions: 17, minPaths: 20 },
  );
});
