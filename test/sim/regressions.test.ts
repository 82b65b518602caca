import { describe, expect, it } from 'vitest';
import { simulate } from './harness.js';
import { assertInvariants } from './invariants.js';
import { withText, type Fate, type Schedule, type SimConfig } from './schedule.js';

// Schedules the property tests found once, kept as regular tests (shrunk by fast-check).

const base: SimConfig = {
  workers: 1,
  spareWorkers: 1,
  chunkSize: 2,
  earlyChunks: 0,
  chunkFailureRatio: 1,
  taskMs: 30,
  chunkMs: 600,
  batchMs: 600,
  jobMs: 600,
  heartbeatMs: undefined,
  pingMs: undefined,
  killGraceMs: 1,
  terminateMs: 10,
  startMs: 50,
  attempts: 1,
  backoffMs: 0,
  threshold: 3,
  cooldownMs: 100,
  intensity: 0,
  periodMs: 100,
  maxInstances: 1,
  coalesce: false,
  misfireGraceMs: 0,
  everyMs: 100,
  latencyMs: 0,
};
const ok = (ms: number): Fate => ({ kind: 'ok', ms });
const instant = Array.from({ length: 6 }, () => [ok(0)]);

describe('regressions found by the simulation', () => {
  it('bug 1 (fast.sim seed 202): a task handed back when its predecessor timed out must not be blamed for an orphan still running in the thread', async () => {
    // Six instant tasks teach the engine to hand tasks over in groups. t6 and t7 go to the
    // thread together; t6 finishes exactly at its 30 ms deadline: the deadline fires first,
    // t6 is settled `timeout`, t7 is handed back, and `abort(t6)` is posted — but the thread
    // has already finished t6 and started t7, which abort(t6) does not touch. t6's late
    // result arrived while aborting, and the slot went idle with t7 still running in its
    // thread: t8, handed to that slot next, waited behind t7 and was dead-lettered `timeout`
    // without ever starting. Since the fix (worker.machine.ts) a slot whose running task
    // ended with tasks handed back is not reused: its thread is replaced.
    const s: Schedule = withText({
      config: { ...base, intensity: 5 }, // (shrunk with 0: then the replacement fails the batch, restart-intensity)
      runs: [[...instant, [ok(30), ok(0)], [ok(150)], [{ kind: 'throw', error: 'data', ms: 0 }]]],
      starts: [],
      host: [],
      horizonMs: 101,
    });
    const o = await simulate(s);
    assertInvariants(o);
    const letters = o.runs[0]?.letters.map((l) => [l.letter.key, l.letter.reason, l.letter.attempts]);
    // t6 timed out at its deadline; t7 (150 ms) timed out when it ran again, on the spare; t8
    // started and failed with its own error
    expect(letters).toEqual([['1:6', 'timeout', 1], ['1:7', 'timeout', 1], ['1:8', 'error', 1]]);
    expect(o.runs[0]?.summary?.workerRestarts).toBe(1); // the thread t7 ran on in was replaced
  });

  it('checker (host.sim seed 404): a host stall longer than the heartbeat window may time out any attempt it overlaps', async () => {
    // Not a product bug: the 50 ms stall fires the 20 ms heartbeat timer late, before the
    // heartbeats that would have renewed it are read (as Node does after a blocked loop).
    const s: Schedule = withText({
      config: { ...base, spareWorkers: 0, taskMs: 100, chunkMs: 100, batchMs: 800, jobMs: 800, heartbeatMs: 20, threshold: 1 },
      runs: [[[ok(0), { kind: 'crash', ms: 0 }], [ok(200)], [ok(20), ok(0)]], []],
      starts: [],
      host: [{ kind: 'stall', at: 201, ms: 50 }],
      horizonMs: 201,
    });
    const o = await simulate(s);
    assertInvariants(o);
    expect(o.runs[0]?.letters.find((l) => l.letter.key === '1:2')?.letter.reason).toBe('timeout');
  });

  it('bug 3 (found by a real-worker test, kept here): a wall-clock step back while a thread is busy made its next task due early', async () => {
    // Six instant tasks teach the engine to hand tasks over in groups: the last of them and two
    // 60 ms tasks (budget 100 ms) go to the thread together at 100 ms. The wall clock steps
    // back 500 ms at 130 ms, while the first 60 ms task runs. Deadlines stamped with now() put
    // the second one's at 160 - 500 + 100 = -240: the deadline timer (200 ms) killed it as a
    // timeout after 40 ms of its 60.
    // Since the fix (clock.ts, monotonicOf) deadlines read the clock's monotonic reading.
    const s: Schedule = withText({
      config: { ...base, spareWorkers: 0, chunkSize: 8, taskMs: 100 },
      runs: [[...instant, [ok(60)], [ok(60)]]],
      starts: [],
      host: [{ kind: 'wallJump', at: 130, ms: -500 }],
      horizonMs: 150,
    });
    const o = await simulate(s);
    assertInvariants(o);
    expect(o.runs[0]?.summary).toMatchObject({ status: 'completed', succeeded: 8, deadLettered: 0 });
  });

  it('bug 2 (host.sim seed 404): a flush that failed at a run\'s end was not tried again until another row came', async () => {
    // Store writes fail from 0 to 120 ms. runNow at 79 starts run 1 (its start write is refused:
    // it has no row); its task hangs and the run ends at 100, inside the window: the flush of its
    // letter (in the run's end) is refused, and so is its end write. That flush had cleared the
    // writer's timer and armed none: the letter stayed buffered, and health said "store writes are
    // failing" long after writes worked again, until run 2 (fire 200) settled a chunk at 230.
    // Since the fix (storeWriter.ts) a failed flush, whoever called it, arms the timed flush: the
    // letter is written at 150, the first try after the window.
    const s: Schedule = withText({
      config: { ...base, spareWorkers: 0, chunkSize: 1, chunkMs: 30, batchMs: 30, jobMs: 30, heartbeatMs: 20, threshold: 1 },
      runs: [[[{ kind: 'awaitForever', honoursAbort: false }]], [[ok(30)]]],
      starts: [],
      host: [{ kind: 'storeFails', at: 0, ms: 120, code: 'SQLITE_FULL' }, { kind: 'runNow', at: 79 }],
      horizonMs: 201,
    });
    const o = await simulate(s);
    assertInvariants(o);
    const [r1, r2] = o.runs;
    expect([r1?.started.at, r1?.ended?.at, r2?.started.at]).toEqual([79, 100, 200]);
    const rows = o.storeOps.filter((x) => x.operation === 'write rows').map((x) => [x.at, x.refused]);
    expect(rows.slice(0, 2)).toEqual([[100, true], [150, false]]);
    expect(o.health.filter((h) => h.at >= 150).every((h) => h.ok)).toBe(true);
    expect(o.stored?.letters.map((l) => l.key)).toEqual(['1:0', '2:0']);
    // what the window covered: run 1's start and end writes, so it has no row; run 2 is recorded
    expect(o.stored?.runs.map((r) => [r.id, r.status])).toEqual([[r2?.runId, r2?.summary?.status]]);
  });
});
