import { beforeAll, describe, expect, it } from 'vitest';
import { simulate, type Observation, type RunObs } from './harness.js';
import { accounting, circuit, FLUSH_MS, instances, reasons, runsEnd, skips, stopBoundMs, store, type Check } from './invariants.js';
import { withText, type Fate, type Schedule, type SimConfig } from './schedule.js';

// Each invariant check must be able to fail: every test below takes a real observation
// that passes, breaks one thing in a copy of it (what a bug would do), and expects the
// check to name it. A check that cannot fail proves nothing.

const config: SimConfig = {
  workers: 2,
  spareWorkers: 1,
  chunkSize: 3,
  earlyChunks: 0,
  chunkFailureRatio: 1,
  taskMs: 100,
  chunkMs: 400,
  batchMs: 800,
  jobMs: 1600,
  heartbeatMs: undefined,
  pingMs: undefined,
  killGraceMs: 20,
  terminateMs: 50,
  startMs: 200,
  attempts: 2,
  backoffMs: 10,
  threshold: 3,
  cooldownMs: 1000,
  intensity: 10,
  periodMs: 1000,
  maxInstances: 1,
  coalesce: true,
  misfireGraceMs: 50,
  everyMs: 1000,
  latencyMs: 0,
};
const ok = (ms: number): Fate => ({ kind: 'ok', ms });

/** Run 1: a success, a data error, a hang (two timeouts), a crash; run 2: connection errors (retried) open the circuit. */
const schedule: Schedule = withText({
  config,
  runs: [
    [[ok(5)], [{ kind: 'throw', error: 'data', ms: 5 }], [{ kind: 'awaitForever', honoursAbort: false }], [{ kind: 'crash', ms: 5 }], [ok(1)]],
    [[{ kind: 'throw', error: 'trip', ms: 1 }], [{ kind: 'throw', error: 'trip', ms: 1 }], [ok(200)], [ok(200)], [ok(200)], [ok(1)]],
  ],
  starts: [],
  host: [],
  horizonMs: 2001,
});

/** The same runs while every store write fails from 1010 to 1700: run 1's letters wait in the writer, its end is refused. */
const storeSchedule: Schedule = withText({ ...schedule, host: [{ kind: 'storeFails', at: 1010, ms: 690, code: 'SQLITE_FULL' }] });

let base: Observation;
let stored: Observation;
beforeAll(async () => {
  base = await simulate(schedule);
  stored = await simulate(storeSchedule);
});

/** A deep copy to break (dates and functions are not needed by the checks). */
function copy(from: Observation = base): Observation {
  return structuredClone(from);
}
const run = (o: Observation, n: number): RunObs => o.runs[n - 1] as RunObs;

function expectCaught(check: Check, broken: Observation, what: RegExp, from: Observation = base): void {
  expect(check(from)).toEqual([]);
  expect(check(broken).join('\n')).toMatch(what);
}

describe('the invariant checks catch what they claim to', () => {
  it('the base observation is the story the schedule tells, and passes every check', () => {
    const [r1, r2] = base.runs;
    expect(r1?.summary?.status).toBe('partial');
    expect(r1?.letters.map((l) => [l.letter.key, l.letter.reason]).sort()).toEqual([
      ['1:1', 'error'],
      ['1:2', 'timeout'],
      ['1:3', 'crash'],
    ]);
    expect(r2?.summary?.reason).toBe('circuit-open');
    for (const check of [runsEnd, instances, accounting, reasons, circuit, skips]) expect(check(base)).toEqual([]);
  });

  it('runsEnd: a run that ends past its budget plus the stop bound', () => {
    const o = copy();
    const r = run(o, 1);
    r.ended = { at: r.started.at + config.batchMs + stopBoundMs(o) + 1, order: r.ended!.order };
    expectCaught(runsEnd, o, /past its bound/);
  });

  it('runsEnd: a run that never ends, or needs a backstop', () => {
    const o = copy();
    run(o, 1).ended = undefined;
    run(o, 2).stopBackstop = true;
    o.released.push({ jobId: 'sim', runId: run(o, 2).runId, at: 5000, order: 1 });
    expectCaught(runsEnd, o, /never ended[\s\S]*stop backstop[\s\S]*release backstop/);
  });

  it('instances: above maxInstances, not back to 0, a hang, a leaked timer or thread', () => {
    for (const [mutate, what] of [
      [(o: Observation) => (o.maxInstances = 2), /instances reached 2/],
      [(o: Observation) => (o.instancesAtEnd = 1), /instances after close\(\): 1/],
      [(o: Observation) => (o.closeResolved = undefined), /close\(\) never resolved/],
      [(o: Observation) => (o.hung = 'test'), /hung: test/],
      [(o: Observation) => (o.timersLeft = 1), /timer\(s\) of the code under test/],
      [(o: Observation) => (o.liveThreadsAtEnd = 1), /never exited/],
      [(o: Observation) => (run(o, 1).liveThreadsAtEnd = 1), /live thread\(s\) but reported 0 stuck/],
      [(o: Observation) => o.badLogs.push('internal error in the batch supervisor'), /error log/],
    ] as const) {
      const o = copy();
      mutate(o);
      expectCaught(instances, o, what);
    }
  });

  it('accounting: counts that do not add up, a key lost or counted twice, a success that never happened', () => {
    for (const [mutate, what] of [
      [(o: Observation) => (run(o, 1).summary!.succeeded += 1), /≠/],
      [(o: Observation) => run(o, 1).log!.keysRead.push('1:9'), /were read/],
      [(o: Observation) => run(o, 1).letters.push(structuredClone(run(o, 1).letters[0]!)), /dead-lettered twice/],
      [(o: Observation) => (run(o, 1).summary!.byReason.error -= 1), /byReason\.error/],
      [(o: Observation) => (run(o, 1).log!.ends = run(o, 1).log!.ends.filter((e) => e.key !== '1:0')), /1:0 counted as succeeded/],
    ] as const) {
      const o = copy();
      mutate(o);
      expectCaught(accounting, o, what);
    }
  });

  it('reasons: a dead letter whose reason does not match its fault', () => {
    const o = copy();
    const letters = run(o, 1).letters;
    const byKey = (k: string) => letters.find((l) => l.letter.key === k)!.letter;
    byKey('1:1').reason = 'crash'; // it threw
    byKey('1:3').reason = 'error'; // it crashed
    byKey('1:2').attempts = 1; // a timeout is retried: 2 attempts
    expectCaught(reasons, o, /1:1 dead-lettered crash[\s\S]*does not crash[\s\S]*1:2 dead-lettered timeout after 1[\s\S]*1:3 dead-lettered error/);
  });

  it('reasons: a timeout for a task that was fast, a stop reason the run did not stop for', () => {
    const o = copy();
    const slow = run(o, 1).log!.starts.filter((s) => s.key === '1:2');
    for (const s of slow) s.fate = ok(1);
    run(o, 2).letters[2]!.letter.reason = 'batch-timeout';
    expectCaught(reasons, o, /ok\(1\) ends before taskMs[\s\S]*stopped for circuit-open/);
  });

  it('circuit: a task handed over after the circuit opened', () => {
    const o = copy();
    const opened = run(o, 2).circuitOpened!;
    run(o, 2).log!.handovers.push({ at: opened.at, order: opened.order + 1, seqs: [99] });
    expectCaught(circuit, o, /1 task\(s\) handed over after the circuit opened/);
  });

  it('skips: a fire skipped for max-instances while no run held a slot', () => {
    const o = copy();
    o.skipped.push({ jobId: 'sim', scheduledAt: new Date(3000), reason: 'max-instances', running: 0, manual: false, at: 3000, order: 1, active: 0, instances: 0 });
    expectCaught(skips, o, /skipped for max-instances at 3000 with 0 run\(s\) active/);
  });

  it('skips: a fire skipped for circuit-open before any run ended circuit-open', () => {
    const o = copy();
    o.skipped.push({ jobId: 'sim', scheduledAt: new Date(0), reason: 'circuit-open', running: 0, manual: false, at: 0, order: 0, active: 0, instances: 0 });
    expectCaught(skips, o, /skipped for circuit-open at 0/);
  });

  it('store: the failure window as it happened passes every check', () => {
    const o = stored;
    for (const check of [runsEnd, instances, accounting, reasons, circuit, skips, store]) expect(check(o)).toEqual([]);
    expect(o.storeFailed.length).toBeGreaterThan(0);
    expect(o.health.some((h) => h.failing && !h.ok)).toBe(true);
    expect(o.stored?.unwritten).toBe(0);
    expect(o.stored?.letters).toHaveLength(o.runs.reduce((n, r) => n + r.letters.length, 0));
    // run 1 ended in the window: its end waited in the writer with its letters, written by the retry after it
    expect(o.stored?.runs.map((r) => r.status)).toEqual([run(o, 1).summary?.status, run(o, 2).summary?.status]);
    const end1 = o.storeOps.find((x) => x.operation === 'end run')!;
    expect(o.storeOps.some((x) => x.operation === 'write rows' && x.refused && x.at === end1.at)).toBe(true);
  });

  it('store: a refused write not reported, a report without a refusal, a real store error', () => {
    for (const [mutate, what] of [
      [(o: Observation) => o.storeFailed.pop(), /store write\(s\) refused, \d+ store\.failed/],
      [(o: Observation) => (o.storeFailed[0]!.simulated = false), /for a real store error/],
      [(o: Observation) => o.storeFailed.push({ ...o.storeFailed[0]!, at: 1900 }), /at 1900, outside every failure window/],
    ] as const) {
      const o = copy(stored);
      mutate(o);
      expectCaught(store, o, what, stored);
    }
  });

  it('store: health ok while writes fail, or still failing long after they work again', () => {
    for (const [mutate, what] of [
      [(o: Observation) => Object.assign(o.health.find((h) => h.failing)!, { ok: true, reason: undefined }), /while store writes fail: ok/],
      [(o: Observation) => o.health.push({ at: 1700 + FLUSH_MS + 1, order: 1, ok: false, reason: 'store writes are failing', failing: false }), /still says/],
    ] as const) {
      const o = copy(stored);
      mutate(o);
      expectCaught(store, o, what, stored);
    }
  });

  it('store: a letter lost or stored twice, rows left unwritten by a flush that worked, a chunk settled without its letter', () => {
    for (const [mutate, what] of [
      [(o: Observation) => o.stored!.letters.splice(0, 1), /1:1: delivered, not in the store[\s\S]*recorded settled without its letter 1:1/],
      [(o: Observation) => o.stored!.letters.push({ ...o.stored!.letters[0]! }), /stored twice/],
      [(o: Observation) => (o.stored!.letters[0]!.reason = 'timeout'), /stored timeout\/2\/#1, delivered error/],
      [(o: Observation) => (o.stored!.unwritten = 1), /1 row\(s\) left unwritten at close/],
      [(o: Observation) => (o.stored!.chunks[0]!.deadLettered -= 1), /chunk 0: stored with 1 dead letter/],
    ] as const) {
      const o = copy(stored);
      mutate(o);
      expectCaught(store, o, what, stored);
    }
  });

  it('store: a run row ended before a writer transaction after its end committed, or without its letters; not ended though it was written; missing', () => {
    const end1 = stored.storeOps.find((x) => x.operation === 'end run')!;
    for (const [mutate, what] of [
      [(o: Observation) => (o.storeOps = o.storeOps.filter((x) => !(x.operation === 'write rows' && !x.refused && x.at >= end1.at))), /no writer transaction after its end was committed, yet its row says partial/],
      [(o: Observation) => o.stored!.letters.splice(o.stored!.letters.findIndex((l) => l.runId === run(o, 1).runId), 1), /its row says partial, but its letter 1:\d is not in the store/],
      [(o: Observation) => Object.assign(o.stored!.runs[1]!, { status: 'running', endedAt: null }), /its row says running/],
      [(o: Observation) => o.stored!.runs.splice(1, 1), /no row, though its start write was not refused/],
    ] as const) {
      const o = copy(stored);
      mutate(o);
      expectCaught(store, o, what, stored);
    }
  });
});
