import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarden, type Warden } from '../../src/runtime/createWarden.js';
import type { WardenClock } from '../../src/runtime/clock.js';
import type { WardenStatus } from '../../src/observe/statusStore.js';
import { fixture, quiet } from '../helpers.js';
import { tempDb } from '../store/storeHelpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

function warden(o: Parameters<typeof createWarden>[0] = {}): Warden {
  const w = createWarden({ logger: quiet, store: 'memory', workers: 2, ...o });
  cleanups.push(() => w.close({ graceMs: 0 }));
  return w;
}

async function get(url: string): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** A clock whose timers never fire on their own: `advance(ms)` moves time without running them (a blocked event loop, as /healthz sees it). */
function stalledClock(): WardenClock & { advance(ms: number): void } {
  let now = 1_000_000;
  return { now: () => now, setTimeout: () => 0, clearTimeout: () => undefined, advance: (ms) => void (now += ms) };
}

describe('warden.serve(): /healthz, /metrics, /status over HTTP', () => {
  it('health is 503 before start, 200 once started, 503 with the reason when the scheduler stops ticking', async () => {
    const clock = stalledClock();
    const w = warden({ clock });
    const { url, host } = await w.serve({ port: 0 });
    expect(host).toBe('127.0.0.1');
    let h = await get(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body)).toMatchObject({ ok: false, reason: expect.stringMatching(/not started/) });
    await w.start();
    h = await get(`${url}/healthz`);
    expect(h.status).toBe(200);
    expect(JSON.parse(h.body)).toMatchObject({ ok: true });
    clock.advance(16_000); // three ticks missed
    h = await get(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body).reason).toMatch(/has not ticked for 16000 ms/);
  });

  it('health: a wall-clock step forward does not make the scheduler look stale; staleness is on the monotonic reading', async () => {
    // timers never fire on their own (as stalledClock); the wall clock can step apart from the monotonic reading
    const clock = { wall: 0, mono: 0 };
    const c: WardenClock & { advance(ms: number): void } = {
      setTimeout: () => 0,
      clearTimeout: () => undefined,
      now: () => 1_000_000 + clock.mono + clock.wall,
      monotonic: () => clock.mono,
      advance: (ms) => void (clock.mono += ms),
    };
    const w = warden({ clock: c });
    const { url } = await w.serve({ port: 0 });
    await w.start();
    clock.wall += 3_600_000; // an NTP step of an hour
    let h = await get(`${url}/healthz`);
    expect(h.status).toBe(200);
    c.advance(16_000); // the loop really stalls for three ticks
    h = await get(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body).reason).toMatch(/has not ticked for 16000 ms/);
  });

  it('health is 503 while store writes fail, and the failure is in /status', async () => {
    const t = tempDb();
    cleanups.push(t.cleanup);
    const w = warden({ store: `sqlite:${t.path}` });
    const { url } = await w.serve({ port: 0 });
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: fixture('behave.mjs'), source: () => [{ do: 'throw' }] });
    await w.start();
    expect((await get(`${url}/healthz`)).status).toBe(200);
    // another connection breaks the table the writer needs: its next flush fails
    const other = new Database(t.path);
    other.exec('DROP TABLE dead_letters');
    other.close();
    const failed = new Promise((res) => w.on('store.failed', res));
    await w.runNow('j');
    await failed;
    const h = await get(`${url}/healthz`);
    expect(h.status).toBe(503);
    expect(JSON.parse(h.body).reason).toMatch(/store writes are failing/);
    const status = JSON.parse((await get(`${url}/status`)).body) as WardenStatus;
    expect(status.store).toMatchObject({ ok: false, lastError: { operation: expect.any(String), message: expect.stringMatching(/no such table/) } });
  });

  it('/metrics is the Prometheus exposition; /status the live status; anything else 404', async () => {
    const w = warden();
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: fixture('ok.mjs'), source: () => [1, 2, 3] });
    await w.start();
    const { url } = await w.serve({ port: 0 });
    await w.runNow('j');
    const m = await get(`${url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.type).toMatch(/^text\/plain/);
    expect(m.body).toContain('warden_tasks_succeeded_total{job="j"} 3');
    const s = JSON.parse((await get(`${url}/status`)).body) as WardenStatus;
    expect(s.jobs).toEqual([{ id: 'j', running: 0, circuit: 'closed', deadLetters: 0, nextFireAt: expect.any(String), lastRun: { runId: expect.any(String), status: 'completed', endedAt: expect.any(String) } }]);
    expect(s.runs).toEqual([]);
    expect((await get(`${url}/nope`)).status).toBe(404);
  });

  it('close() stops the server', async () => {
    const w = createWarden({ logger: quiet, store: 'memory' });
    const { url } = await w.serve({ port: 0 });
    await w.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});

describe('the live status store', () => {
  it('follows a run chunk by chunk: the running run with its progress, then the job with its last run and dead letters', async () => {
    const w = warden();
    w.defineJob({ id: 'grid', trigger: { everyMs: 3_600_000 }, task: fixture('behave.mjs'), chunkSize: 2, source: () => [{ do: 'ok' }, { do: 'ok' }, { do: 'throw' }, { do: 'ok' }, { do: 'ok' }] });
    const seen: Array<{ chunksEnded: number; succeeded: number; deadLettered: number }> = [];
    w.statusStore.subscribe((snap) => {
      for (const r of Object.values(snap.context.runs)) seen.push({ chunksEnded: r.chunksEnded, succeeded: r.succeeded, deadLettered: r.deadLettered });
    });
    await w.runNow('grid');
    const progress = seen.filter((p, i) => i === 0 || JSON.stringify(p) !== JSON.stringify(seen[i - 1]));
    expect(progress).toEqual([
      { chunksEnded: 0, succeeded: 0, deadLettered: 0 },
      { chunksEnded: 1, succeeded: 2, deadLettered: 0 },
      { chunksEnded: 2, succeeded: 3, deadLettered: 1 },
      { chunksEnded: 3, succeeded: 4, deadLettered: 1 },
    ]);
    const s = w.status();
    expect(s.runs).toEqual([]);
    expect(s.jobs[0]).toMatchObject({ id: 'grid', running: 0, deadLetters: 1, lastRun: { status: 'partial' } });
  });
});
