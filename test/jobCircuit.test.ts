import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { liveThreadCount } from '../src/actors/liveThreads.js';
import { createWarden } from '../src/runtime/createWarden.js';
import { fixture, quiet } from './helpers.js';
import { eventLog, expectCountsAddUp } from './wardenProbe.js';

// The job-level circuit, across runs. The scheduler runs on a SimulatedClock advanced
// explicitly; the runs' worker threads run in real time. Each step advances the scheduler
// to the next fire, then awaits what that fire must cause.
//
// A job every 10 s whose tasks read from their input whether "the database is up"; the
// job's source() builds the inputs from `db.up`, which the test flips. Cool-down 25 s:
// the circuit opens when the run that fired at 10 s ends (the scheduler clock still at
// 10 s), so it is half-open at 35 s; the fires at 20 s and 30 s fall in the cool-down,
// and the fire at 40 s is the probe (no tie between the cool-down and a fire).
const EVERY = 10_000;
const COOLDOWN = 25_000;
const dbDown = { do: 'throw', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' };

function flakyDatabase() {
  const clock = new SimulatedClock();
  const warden = createWarden({ clock, logger: quiet, store: 'memory' });
  const log = eventLog(warden);
  const db = { up: false };
  warden.defineJob({
    id: 'flaky-db',
    trigger: { everyMs: EVERY },
    task: fixture('behave.mjs'),
    workers: 1,
    spareWorkers: 0,
    earlyChunks: 0,
    circuit: { threshold: 2, cooldownMs: COOLDOWN },
    source: () => Array.from({ length: 4 }, () => (db.up ? { do: 'ok' } : dbDown)),
  });
  /** Advances the scheduler to `at` (a fire time). */
  const to = (at: number) => clock.set(at);
  return { warden, log, db, to };
}

/** Advances to `at`, expects that fire to start a run, and returns how it ended. */
async function runAt(f: ReturnType<typeof flakyDatabase>, at: number) {
  f.to(at);
  const started = await f.log.next('run.started');
  expect(started.scheduledAt.getTime()).toBe(at);
  const finished = await f.log.next('run.finished');
  expect(finished.runId).toBe(started.runId);
  expect(f.warden.instances('flaky-db')).toBe(0);
  return finished;
}

/** Advances to each of `ats`: each fire is skipped, reason circuit-open, no run starts. */
function expectSkipped(f: ReturnType<typeof flakyDatabase>, ats: number[]) {
  const before = f.log.of('run.started').length;
  const skippedBefore = f.log.of('run.skipped').length;
  for (const at of ats) f.to(at);
  expect(f.log.of('run.skipped').slice(skippedBefore)).toEqual(
    ats.map((at) => ({ jobId: 'flaky-db', scheduledAt: new Date(at), reason: 'circuit-open', running: 0, manual: false })),
  );
  expect(f.log.of('run.started')).toHaveLength(before);
}

describe('the job-level circuit (across runs)', () => {
  it('opens when a run ends circuit-open; the fires in the cool-down are skipped; the probe after it succeeds and closes it', async () => {
    const f = flakyDatabase();
    await f.warden.start();

    // t = 10 s: the database is down: the run's circuit opens and the run stops
    const first = await runAt(f, 10_000);
    expect(first.summary.status).toBe('aborted');
    expect(first.summary.reason).toBe('circuit-open');
    expectCountsAddUp(first.summary, 4);
    expect(f.log.of('circuit.opened')).toEqual([{ jobId: 'flaky-db', runId: first.runId, failures: 2 }]); // one event for this opening

    // t = 20 s, 30 s: inside the cool-down: skipped; a run on demand too
    expectSkipped(f, [20_000, 30_000]);
    await expect(f.warden.runNow('flaky-db')).resolves.toEqual({ status: 'skipped', reason: 'circuit-open' });
    expect(f.log.of('run.skipped').at(-1)).toMatchObject({ reason: 'circuit-open', manual: true });

    // t = 40 s: past the cool-down (half-open at 35 s): the probe runs; the database is back
    f.db.up = true;
    const probe = await runAt(f, 40_000);
    expect(probe.summary.status).toBe('completed');
    expectCountsAddUp(probe.summary, 4);
    expect(f.log.of('circuit.closed')).toEqual([{ jobId: 'flaky-db' }]);
    // circuit.closed comes before the probe's run.finished
    const types = f.log.all.map((s) => s.type);
    expect(types.lastIndexOf('circuit.closed')).toBeLessThan(types.lastIndexOf('run.finished'));

    // t = 50 s, 60 s: closed: the fires run normally
    for (const at of [50_000, 60_000]) {
      const next = await runAt(f, at);
      expect(next.summary.status).toBe('completed');
    }
    expect(f.log.of('run.skipped')).toHaveLength(3);
    expect(f.log.of('circuit.opened')).toHaveLength(1);
    expect(f.log.of('circuit.closed')).toHaveLength(1);
    expect(f.log.of('run.missed')).toEqual([]);
    await f.warden.close({ graceMs: 0 });
    expect(liveThreadCount()).toBe(0);
  });

  it('a probe that fails again re-opens it for another cool-down; the next probe closes it', async () => {
    const f = flakyDatabase();
    await f.warden.start();

    const first = await runAt(f, 10_000);
    expect(first.summary.reason).toBe('circuit-open');
    expectSkipped(f, [20_000, 30_000]);

    // t = 40 s: the probe; the database is still down: its circuit opens, the job's re-opens (until 65 s)
    const probe = await runAt(f, 40_000);
    expect(probe.summary.status).toBe('aborted');
    expect(probe.summary.reason).toBe('circuit-open');
    expect(f.log.of('circuit.opened').map((e) => e.runId)).toEqual([first.runId, probe.runId]); // one per opening
    expect(f.log.of('circuit.closed')).toEqual([]);

    // t = 50 s, 60 s: the new cool-down: skipped
    expectSkipped(f, [50_000, 60_000]);

    // t = 70 s: the next probe; the database is back: closed
    f.db.up = true;
    const second = await runAt(f, 70_000);
    expect(second.summary.status).toBe('completed');
    expect(f.log.of('circuit.closed')).toEqual([{ jobId: 'flaky-db' }]);
    const next = await runAt(f, 80_000);
    expect(next.summary.status).toBe('completed');
    expect(f.log.of('run.skipped')).toHaveLength(4);
    expect(f.log.of('circuit.opened')).toHaveLength(2);
    await f.warden.close({ graceMs: 0 });
    expect(liveThreadCount()).toBe(0);
  });
});
