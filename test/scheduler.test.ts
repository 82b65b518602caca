import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { liveThreadCount } from '../src/actors/liveThreads.js';
import { createWarden } from '../src/runtime/createWarden.js';
import type { BatchEvent } from '../src/runtime/batchEvent.js';
import type { BatchSummary } from '../src/runtime/batchSummary.js';
import { fixture, quiet } from './helpers.js';
import { busyWatcher, eventLog, expectCountsAddUp } from './wardenProbe.js';

// The scheduler runs on a SimulatedClock, advanced explicitly; the runs' worker threads run
// in real time. Each step advances the scheduler, then awaits the event it must cause.
// The runs' own budgets (real time) are far longer than any step takes, so only the
// scheduler's job budget (simulated) can end the stuck run.

describe('the postmortem, reproduced', () => {
  it('a run hung on a dead database ends at its job budget; the next fire runs on time; the slot is free again', async () => {
    const clock = new SimulatedClock();
    const watch = busyWatcher();
    const warden = createWarden({ clock, logger: quiet, inspect: watch.inspect, inspectTasks: true, store: 'memory' });
    const log = eventLog(warden);
    let runs = 0;
    warden.defineJob({
      id: 'hazard-timeseries',
      trigger: { everyMs: 10_000 },
      maxInstances: 1,
      coalesce: true,
      misfireGraceMs: 1_000,
      // job (scheduler time) ≥ batch ≥ chunk ≥ task (real time, never reached here)
      timeouts: { jobMs: 9_000, batchMs: 9_000, chunkMs: 9_000, taskMs: 9_000, killGraceMs: 100, terminateMs: 2_000 },
      task: fixture('deadDb.mjs'),
      workers: 2,
      spareWorkers: 0,
      // the first run meets the dead connection; later runs find the database healthy
      source: () => {
        const db = ++runs === 1 ? 'dead' : 'ok';
        return Array.from({ length: 4 }, (_, i) => ({ db, i }));
      },
    });
    await warden.start();

    // t = 10 s: the first fire; its tasks hang on the connection in both workers
    clock.increment(10_000);
    const first = await log.next('run.started');
    expect(first.scheduledAt.getTime()).toBe(10_000);
    await watch.whenBusy(2);
    expect(warden.instances('hazard-timeseries')).toBe(1);

    // while it is stuck, a run on demand is skipped, as APScheduler did
    await expect(warden.runNow('hazard-timeseries')).resolves.toEqual({ status: 'skipped', reason: 'max-instances' });

    // t = 19 s: the job budget: the stuck run is stopped and its tasks dead-lettered job-timeout
    clock.increment(9_000);
    expect(log.of('run.timeout')).toEqual([{ jobId: 'hazard-timeseries', runId: first.runId, jobMs: 9_000 }]);
    const stuck = await log.next('run.finished');
    expect(stuck.runId).toBe(first.runId);
    expect(stuck.summary.status).toBe('timedOut');
    expect(stuck.summary.reason).toBe('job-timeout');
    expect(stuck.summary.byReason['job-timeout']).toBe(4);
    expectCountsAddUp(stuck.summary, 4);
    expect(log.of('task.deadLettered').map((e) => e.letter.reason)).toEqual(Array(4).fill('job-timeout'));
    expect(warden.instances('hazard-timeseries')).toBe(0);
    expect(liveThreadCount()).toBe(0);
    const skippedWhileStuck = log.of('run.skipped').length;

    // t = 20 s and 30 s: the next fires run on time and complete
    for (const at of [20_000, 30_000]) {
      clock.increment(10_000 - (clock.now() % 10_000));
      const next = await log.next('run.started');
      expect(next.scheduledAt.getTime()).toBe(at);
      const done = await log.next('run.finished');
      expect(done.runId).toBe(next.runId);
      expect(done.summary.status).toBe('completed');
      expectCountsAddUp(done.summary, 4);
      expect(warden.instances('hazard-timeseries')).toBe(0);
    }
    expect(log.of('run.skipped').length).toBe(skippedWhileStuck); // none once the stuck run was gone
    expect(log.of('run.missed')).toEqual([]);
    expect(log.of('run.released')).toEqual([]); // the run reported its end: no backstop needed

    await warden.close({ graceMs: 0 });
    expect(liveThreadCount()).toBe(0);
  });
});

describe('maxInstances 2, through the warden', () => {
  it('two overlapping fires both run; a third while both are busy is skipped (max-instances); the count goes back to 0', async () => {
    const clock = new SimulatedClock();
    const watch = busyWatcher();
    const warden = createWarden({ clock, logger: quiet, inspect: watch.inspect, inspectTasks: true, store: 'memory' });
    const log = eventLog(warden);
    let runs = 0;
    warden.defineJob({
      id: 'two-at-once',
      trigger: { everyMs: 10_000 },
      maxInstances: 2,
      misfireGraceMs: 1_000,
      // the job budget (scheduler time) ends the hung runs; the others (real time) are never reached
      timeouts: { jobMs: 25_000, batchMs: 9_000, chunkMs: 9_000, taskMs: 9_000, killGraceMs: 100, terminateMs: 2_000 },
      task: fixture('deadDb.mjs'),
      workers: 1,
      spareWorkers: 0,
      // the first two runs hang on the dead connection; later runs find the database healthy
      source: () => {
        const db = ++runs <= 2 ? 'dead' : 'ok';
        return Array.from({ length: 2 }, (_, i) => ({ db, i }));
      },
    });
    await warden.start();

    // t = 10 s and 20 s: two overlapping runs, both busy
    clock.set(10_000);
    const first = await log.next('run.started');
    await watch.whenBusy(1);
    clock.set(20_000);
    const second = await log.next('run.started');
    await watch.whenBusy(2);
    expect([first.scheduledAt.getTime(), second.scheduledAt.getTime()]).toEqual([10_000, 20_000]);
    expect(first.runId).not.toBe(second.runId);
    expect(warden.instances('two-at-once')).toBe(2);
    expect(log.of('run.skipped')).toEqual([]);

    // t = 30 s: both slots held: skipped, with the event
    clock.set(30_000);
    expect(log.of('run.skipped')).toEqual([
      { jobId: 'two-at-once', scheduledAt: new Date(30_000), reason: 'max-instances', running: 2, manual: false },
    ]);
    expect(log.of('run.started')).toHaveLength(2);

    // t = 35 s: the first run reaches its job budget and ends; one slot is free
    clock.set(35_000);
    const firstDone = await log.next('run.finished');
    expect(firstDone.runId).toBe(first.runId);
    expect(firstDone.summary.reason).toBe('job-timeout');
    expect(warden.instances('two-at-once')).toBe(1);

    // t = 40 s: the fire takes the free slot and completes, next to the still-hung second run
    clock.set(40_000);
    const third = await log.next('run.started');
    expect(third.scheduledAt.getTime()).toBe(40_000);
    const thirdDone = await log.next('run.finished');
    expect(thirdDone.runId).toBe(third.runId);
    expect(thirdDone.summary.status).toBe('completed');
    expect(warden.instances('two-at-once')).toBe(1);

    // t = 45 s: the second run reaches its budget and ends: no slot held
    clock.set(45_000);
    const secondDone = await log.next('run.finished');
    expect(secondDone.runId).toBe(second.runId);
    expect(secondDone.summary.reason).toBe('job-timeout');
    expectCountsAddUp(secondDone.summary, 2);
    expect(warden.instances('two-at-once')).toBe(0);
    expect(log.of('run.skipped')).toHaveLength(1);
    expect(log.of('run.missed')).toEqual([]);
    expect(log.of('run.released')).toEqual([]);

    await warden.close({ graceMs: 0 });
    expect(liveThreadCount()).toBe(0);
  });
});

describe('close()', () => {
  function hungJob() {
    const clock = new SimulatedClock();
    const watch = busyWatcher();
    const warden = createWarden({ clock, logger: quiet, inspect: watch.inspect, inspectTasks: true, store: 'memory' });
    const log = eventLog(warden);
    return { clock, watch, warden, log };
  }

  it('drains: a run that finishes within the grace completes; nothing is armed after', async () => {
    const { clock, warden, log } = hungJob();
    warden.defineJob({ id: 'ok', trigger: { everyMs: 1_000 }, task: fixture('deadDb.mjs'), workers: 2, spareWorkers: 0, source: () => Array.from({ length: 50 }, () => ({ db: 'ok' })) });
    await warden.start();
    clock.increment(1_000);
    const started = await log.next('run.started');
    await warden.close({ graceMs: 30_000 });
    const [finished] = log.of('run.finished');
    expect(finished?.runId).toBe(started.runId);
    expect(finished?.summary.status).toBe('completed');
    expectCountsAddUp(finished!.summary, 50);
    clock.increment(5_000);
    expect(log.of('run.started')).toHaveLength(1);
    expect(liveThreadCount()).toBe(0);
    await expect(warden.runNow('ok')).rejects.toThrow(/closed/);
  });

  it('aborts after the grace: what remains is dead-lettered aborted, counts add up, no worker left', async () => {
    const { clock, watch, warden, log } = hungJob();
    warden.defineJob({
      id: 'hung',
      trigger: { everyMs: 1_000 },
      task: fixture('deadDb.mjs'),
      workers: 2,
      spareWorkers: 0,
      timeouts: { killGraceMs: 100, terminateMs: 2_000 },
      source: () => Array.from({ length: 10 }, () => ({ db: 'dead' })),
    });
    await warden.start();
    clock.increment(1_000);
    await log.next('run.started');
    await watch.whenBusy(2);
    await warden.close({ graceMs: 20 });
    const [finished] = log.of('run.finished');
    expect(finished?.summary.status).toBe('aborted');
    expect(finished?.summary.byReason.aborted).toBe(10);
    expectCountsAddUp(finished!.summary, 10);
    expect(log.of('task.deadLettered')).toHaveLength(10);
    expect(warden.instances('hung')).toBe(0);
    expect(liveThreadCount()).toBe(0);
  });
});

describe('runNow', () => {
  it('resolves with the run summary', async () => {
    const warden = createWarden({ logger: quiet, store: 'memory' });
    warden.defineJob({ id: 'now', trigger: { cron: '0 2 1 1 *', tz: 'Asia/Seoul' }, task: fixture('ok.mjs'), workers: 1, spareWorkers: 0, source: () => [1, 2, 3] });
    const s = await warden.runNow('now');
    expect(s.status).toBe('completed');
    expect('total' in s && s.total).toBe(3);
    await warden.close();
    expect(liveThreadCount()).toBe(0);
  });
});

describe('a yearly cron', () => {
  it("'0 2 1 1 *' in Asia/Seoul is not fired at start-up nor at any point before its time", async () => {
    const clock = new SimulatedClock();
    clock.set(Date.parse('2026-01-02T00:00:00Z'));
    const warden = createWarden({ clock, logger: quiet, store: 'memory' });
    const log = eventLog(warden);
    warden.defineJob({ id: 'yearly', trigger: { cron: '0 2 1 1 *', tz: 'Asia/Seoul' }, task: fixture('ok.mjs'), source: () => [1] });
    await warden.start();
    clock.increment(1); // where a single 364-day timer would fire (Node: after 1 ms)
    const due = Date.parse('2026-12-31T17:00:00Z');
    while (clock.now() + 86_400_000 < due) clock.increment(86_400_000);
    clock.set(due - 1);
    expect(log.all).toEqual([]);
    expect(warden.instances('yearly')).toBe(0);
    await warden.close();
  });
});

describe('batch events, per run', () => {
  it('a task that crashes its worker: worker.restarted with the jobId and runId; chunk.ended for each chunk', async () => {
    const warden = createWarden({ clock: new SimulatedClock(), logger: quiet, store: 'memory' });
    const log = eventLog(warden);
    const inputs = [{ do: 'ok' }, { do: 'exit' }, { do: 'ok' }, { do: 'ok' }];
    warden.defineJob({ id: 'crashy', trigger: { everyMs: 60_000 }, task: fixture('behave.mjs'), workers: 1, chunkSize: 2, earlyChunks: 0, source: () => inputs });
    const s = await warden.runNow('crashy');
    const { runId } = log.of('run.started')[0]!;
    expect('byReason' in s && s.byReason.crash).toBe(1);
    expectCountsAddUp(s as BatchSummary, 4);
    const restarted = log.of('worker.restarted');
    expect(restarted.length).toBeGreaterThanOrEqual(1);
    expect(restarted.length).toBe((s as BatchSummary).workerRestarts);
    for (const e of restarted) expect(e).toEqual({ jobId: 'crashy', runId, slot: expect.any(Number) });
    const chunks = log.of('chunk.ended');
    expect(chunks.map((c) => [c.jobId, c.runId, c.index, c.size])).toEqual([
      ['crashy', runId, 0, 2],
      ['crashy', runId, 1, 2],
    ]);
    expect(chunks.reduce((n, c) => n + c.succeeded + c.deadLettered, 0)).toBe(4);
    await warden.close();
    expect(liveThreadCount()).toBe(0);
  });

  it('tasks that throw ECONNREFUSED 5 times: circuit.opened with the jobId and runId; the job\'s own onEvent is still called', async () => {
    const warden = createWarden({ clock: new SimulatedClock(), logger: quiet, store: 'memory' });
    const log = eventLog(warden);
    const own: BatchEvent[] = [];
    const dbDown = { do: 'throw', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' };
    warden.defineJob({
      id: 'db-down',
      trigger: { everyMs: 60_000 },
      task: fixture('behave.mjs'),
      workers: 1,
      earlyChunks: 0,
      circuit: { threshold: 5 },
      source: () => [...Array.from({ length: 5 }, () => dbDown), { do: 'ok' }, { do: 'ok' }],
      onEvent: (e) => void own.push(e),
    });
    const s = (await warden.runNow('db-down')) as BatchSummary;
    const { runId } = log.of('run.started')[0]!;
    expect(s.status).toBe('aborted');
    expect(s.reason).toBe('circuit-open');
    expect(log.of('circuit.opened')).toEqual([{ jobId: 'db-down', runId, failures: 5 }]);
    expect(own.filter((e) => e.type === 'circuit.opened')).toEqual([{ type: 'circuit.opened', failures: 5 }]);
    expectCountsAddUp(s, 7);
    await warden.close();
    expect(liveThreadCount()).toBe(0);
  });
});
