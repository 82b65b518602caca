import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { liveThreadCount } from '../src/actors/liveThreads.js';
import { systemClock } from '../src/runtime/clock.js';
import { createWarden } from '../src/runtime/createWarden.js';
import { runBatch } from '../src/runtime/runBatch.js';
import { fixture, quiet } from './helpers.js';
import { eventLog, expectCountsAddUp } from './wardenProbe.js';

// The host is suspended from t = 0 to t = 55 s: the scheduler's clock jumps past five fires
// of an every-10-s job at once (10, 20, 30, 40, 50 s; 45, 35, 25, 15 and 5 s late). With a
// misfire grace of 25 s, the fires at 10 s and 20 s are too late (run.missed); 30 s (exactly
// at the grace), 40 s and 50 s are within it.
const EVERY = 10_000;
const GRACE = 25_000;
const WAKE = 55_000;

function suspendedHost(coalesce: boolean) {
  const clock = new SimulatedClock();
  const warden = createWarden({ clock, logger: quiet, store: 'memory' });
  const log = eventLog(warden);
  warden.defineJob({
    id: 'suspended',
    trigger: { everyMs: EVERY },
    coalesce,
    maxInstances: 3, // so that without coalesce no run is skipped at the limit
    misfireGraceMs: GRACE,
    task: fixture('ok.mjs'),
    workers: 1,
    spareWorkers: 0,
    source: () => [1, 2],
  });
  return { clock, warden, log };
}

const missed = [
  { jobId: 'suspended', scheduledAt: new Date(10_000), lateMs: 45_000 },
  { jobId: 'suspended', scheduledAt: new Date(20_000), lateMs: 35_000 },
];

describe('the clock jumps past several fires (host suspended)', () => {
  it('coalesce: the fires within the grace run once, as the latest; the too-late ones are run.missed; the schedule goes on', async () => {
    const { clock, warden, log } = suspendedHost(true);
    await warden.start();
    clock.set(WAKE);
    expect(log.of('run.missed')).toEqual(missed);
    const started = log.of('run.started');
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ scheduledAt: new Date(50_000), coalesced: 3, manual: false });
    const done = await log.next('run.finished');
    expect(done.summary.status).toBe('completed');
    expectCountsAddUp(done.summary, 2);

    // the next fire is armed from now: 60 s, on time
    clock.set(60_000);
    const next = await log.next('run.finished');
    expect(log.of('run.started').map((e) => e.scheduledAt.getTime())).toEqual([50_000, 60_000]);
    expect(next.summary.status).toBe('completed');
    expect(log.of('run.missed')).toHaveLength(2);
    expect(log.of('run.skipped')).toEqual([]);
    await warden.close();
    expect(liveThreadCount()).toBe(0);
  });

  it('no coalesce: each fire within the grace runs; the too-late ones are run.missed', async () => {
    const { clock, warden, log } = suspendedHost(false);
    await warden.start();
    clock.set(WAKE);
    expect(log.of('run.missed')).toEqual(missed);
    const started = log.of('run.started');
    expect(started.map((e) => [e.scheduledAt.getTime(), e.coalesced])).toEqual([
      [30_000, 1],
      [40_000, 1],
      [50_000, 1],
    ]);
    expect(new Set(started.map((e) => e.runId)).size).toBe(3);
    for (let i = 0; i < 3; i++) {
      const done = await log.next('run.finished');
      expect(done.summary.status).toBe('completed');
      expectCountsAddUp(done.summary, 2);
    }
    expect(log.of('run.skipped')).toEqual([]);
    expect(warden.instances('suspended')).toBe(0);
    await warden.close();
    expect(liveThreadCount()).toBe(0);
  });
});

describe('the clock jumps a day ahead for an every-minute job (more fires than are listed at once)', () => {
  it('the fires older than the grace are one run.missed, for the oldest; the fire within the grace runs; the schedule goes on', async () => {
    const MINUTE = 60_000;
    const clock = new SimulatedClock();
    const warden = createWarden({ clock, logger: quiet, store: 'memory' });
    const log = eventLog(warden);
    warden.defineJob({ id: 'minutely', trigger: { everyMs: MINUTE }, misfireGraceMs: 5 * MINUTE, task: fixture('ok.mjs'), workers: 1, spareWorkers: 0, source: () => [1] });
    await warden.start();
    const DAY = 24 * 60 * MINUTE;
    clock.set(DAY + 30_000); // 1440 fires due; the last, at 1 day, is 30 s late
    expect(log.of('run.missed')).toEqual([{ jobId: 'minutely', scheduledAt: new Date(MINUTE), lateMs: DAY + 30_000 - MINUTE }]);
    const started = log.of('run.started');
    expect(started.map((e) => [e.scheduledAt.getTime(), e.coalesced])).toEqual([[DAY, 5]]); // coalesced: the fires within the grace
    expect((await log.next('run.finished')).summary.status).toBe('completed');
    clock.set(DAY + MINUTE);
    await log.next('run.finished');
    expect(log.of('run.started').map((e) => e.scheduledAt.getTime())).toEqual([DAY, DAY + MINUTE]);
    expect(log.of('run.missed')).toHaveLength(1);
    await warden.close();
  });
});

describe('the wall clock steps while tasks run (an NTP correction)', () => {
  it('a step back moves no task deadline: the next task of a busy thread keeps its whole budget', async () => {
    // One thread: a 1 s task, then an 800 ms one, budget 1.5 s each. The wall clock steps back
    // 10 s 300 ms into the run, while the first task runs. Deadlines read the clock's monotonic
    // reading; read from the wall clock, the second task's deadline would fall 10 s "earlier"
    // and it would be killed when the deadline timer checks, 1.5 s after the first started.
    const t0 = performance.now();
    const clock = { ...systemClock, now: () => Date.now() - (performance.now() - t0 > 300 ? 10_000 : 0) };
    const source = [{ do: 'sleep', ms: 1000 }, { do: 'sleep', ms: 800 }];
    const s = await runBatch({ task: fixture('behave.mjs'), source, workers: 1, spareWorkers: 0, timeouts: { taskMs: 1500 }, clock, logger: quiet });
    expect(s).toMatchObject({ status: 'completed', succeeded: 2, deadLettered: 0 });
    expect(s.durationMs).toBeGreaterThanOrEqual(1800); // the monotonic reading, not the stepped wall clock
  });
});
