import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { SimulatedClock } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarden, createWardenWith, type Warden } from '../../src/runtime/createWarden.js';
import type { BatchSummary } from '../../src/runtime/batchSummary.js';
import { tempDb } from './storeHelpers.js';

const quiet = pino({ level: 'silent' });
const gated = new URL('../fixtures/gated.mjs', import.meta.url);
const open: Array<() => unknown> = [];
afterEach(async () => {
  for (const f of open.splice(0).reverse()) await f();
});

function warden(path: string, extra: Parameters<typeof createWarden>[0] = {}): Warden {
  const w = createWarden({ logger: quiet, store: `sqlite:${path}`, workers: 2, ...extra });
  open.push(() => w.close({ graceMs: 0 }));
  return w;
}

function temp() {
  const t = tempDb();
  open.push(t.cleanup);
  return t;
}

describe('the warden on a SQLite file', () => {
  it('records each run (running → its status, with its counts), its dead letters and its settled chunks', async () => {
    const t = temp();
    const gate = join(t.dir, 'never');
    const w = warden(t.path);
    // 25 inputs, chunks of 10: every 5th fails (its gate never opens)
    w.defineJob({ id: 'grid', trigger: { everyMs: 3_600_000 }, task: gated, chunkSize: 10, key: (p: { n: number }) => `p${p.n}`, source: () => Array.from({ length: 25 }, (_, n) => (n % 5 === 0 ? { n, gate } : { n })) });
    let during: string | undefined;
    w.on('run.started', (e) => (during = w.runs.get(e.runId)?.status));
    const summary = (await w.runNow('grid')) as BatchSummary;
    expect(during).toBe('running');
    expect(summary).toMatchObject({ status: 'partial', total: 25, succeeded: 20, deadLettered: 5 });

    const [run] = w.runs.list({ jobId: 'grid' });
    expect(run).toMatchObject({ jobId: 'grid', kind: 'manual', status: 'partial', chunkSize: 10, metrics: { total: 25, succeeded: 20, deadLettered: 5, pending: 0 } });
    expect(run?.slot).toBeUndefined();
    expect(run?.endedAt?.getTime()).toBe(summary.endedAt.getTime());
    expect(w.runs.chunks(run!.id).map((c) => [c.index, c.size, c.succeeded, c.deadLettered])).toEqual([
      [0, 10, 8, 2],
      [1, 10, 8, 2],
      [2, 5, 4, 1],
    ]);
    const letters = w.deadLetters.list({ jobId: 'grid' }).items;
    // in the order they failed: two workers, so p15 may fail before p10
    expect(letters.map((l) => l.index).sort((a, b) => a - b)).toEqual([0, 5, 10, 15, 20]);
    expect(letters.every((l) => l.key === `p${l.index}` && l.runId === run!.id && l.reason === 'error' && l.error.code === 'EGATE')).toBe(true);
    const p5 = letters.find((l) => l.key === 'p5')!;
    expect(w.deadLetters.get(p5.id)?.payload).toEqual({ ok: true, input: { n: 5, gate } });
  });

  it('a run whose last writes fail stays running in the file, with none of its letters lost: its end is written with them, once writes work again', async () => {
    const t = temp();
    const gate = join(t.dir, 'never');
    let failing = false;
    const refused: string[] = [];
    const storeFaults = {
      before(operation: string) {
        if (failing && operation === 'write rows') throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
      },
    };
    const w = createWardenWith({ logger: quiet, store: `sqlite:${t.path}`, workers: 2 }, { storeFaults });
    open.push(() => w.close({ graceMs: 0 }));
    w.on('store.failed', (e) => refused.push(e.operation));
    w.on('run.started', () => (failing = true)); // the disk fills as the run starts (its row is written)
    w.defineJob({ id: 'grid', trigger: { everyMs: 3_600_000 }, task: gated, chunkSize: 10, key: (p: { n: number }) => `p${p.n}`, source: () => Array.from({ length: 20 }, (_, n) => (n % 5 === 0 ? { n, gate } : { n })) });
    const summary = (await w.runNow('grid')) as BatchSummary;
    expect(summary).toMatchObject({ status: 'partial', deadLettered: 4 });
    expect(refused).toContain('flush'); // the run's end: its letters and its end, refused together

    // what a host killed now would leave: the run still running (to be resumed), not ended without its letters
    const reader = new Database(t.path, { readonly: true });
    const row = () => reader.prepare('SELECT status FROM runs').pluck().get();
    const letters = () => reader.prepare('SELECT count(*) FROM dead_letters').pluck().get();
    expect([row(), letters()]).toEqual(['running', 0]);

    failing = false;
    await w.close();
    expect([row(), letters()]).toEqual(['partial', 4]);
    reader.close();
  });

  it('a replay whose last writes fail marks no letter replayed before its new failures are written; once writes work, both land together', async () => {
    const t = temp();
    const shut = join(t.dir, 'never');
    let failing = false;
    const storeFaults = {
      before(operation: string) {
        if (failing && operation === 'write rows') throw Object.assign(new Error('disk full'), { code: 'SQLITE_FULL' });
      },
    };
    const w = createWardenWith({ logger: quiet, store: `sqlite:${t.path}`, workers: 2 }, { storeFaults });
    open.push(() => w.close({ graceMs: 0 }));
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: gated, key: (p: { n: number }) => `k${p.n}`, source: () => [0, 1].map((n) => ({ n, gate: shut })) });
    await w.runNow('j'); // two letters, written
    w.on('run.started', () => (failing = true));
    const [r] = await w.deadLetters.replay({ jobId: 'j' });
    expect(r!.result).toMatchObject({ total: 2, deadLettered: 2 }); // they fail again

    // a host killed now: the old letters unmarked (a later replay takes them again), no new letter
    const reader = new Database(t.path, { readonly: true });
    const rows = () => reader.prepare('SELECT id, replay_run_id AS by, replay_of AS of FROM dead_letters ORDER BY id').all();
    expect(rows()).toEqual([{ id: 1, by: null, of: null }, { id: 2, by: null, of: null }]);

    failing = false;
    await w.close();
    expect(rows()).toEqual([
      { id: 1, by: r!.runId, of: null },
      { id: 2, by: r!.runId, of: null },
      { id: 3, by: null, of: expect.any(Number) },
      { id: 4, by: null, of: expect.any(Number) },
    ]);
    reader.close();
  });

  it('replays dead letters: those that now succeed and those that fail again (linked to the old letter); replayed letters are marked', async () => {
    const t = temp();
    const open1 = join(t.dir, 'gate-a');
    const shut = join(t.dir, 'gate-b');
    const w = warden(t.path);
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: gated, key: (p: { n: number }) => `k${p.n}`, source: () => [0, 1, 2, 3].map((n) => ({ n, gate: n < 2 ? open1 : shut })) });
    await w.runNow('j');
    const first = w.deadLetters.list({ jobId: 'j' }).items;
    expect(first).toHaveLength(4);

    writeFileSync(open1, ''); // the dependency of k0 and k1 is back
    const [r] = await w.deadLetters.replay({ jobId: 'j' });
    expect(r).toMatchObject({ jobId: 'j', replayed: 4, unreadable: [] });
    expect(r!.result).toMatchObject({ status: 'partial', total: 4, succeeded: 2, deadLettered: 2 });
    expect(w.runs.get(r!.runId!)).toMatchObject({ kind: 'replay', status: 'partial' });

    const all = w.deadLetters.list({ jobId: 'j' }).items;
    const old = all.filter((l) => l.runId !== r!.runId);
    const again = all.filter((l) => l.runId === r!.runId);
    expect(old.map((l) => l.replayRunId)).toEqual([r!.runId, r!.runId, r!.runId, r!.runId]);
    expect(old.every((l) => l.replayedAt instanceof Date)).toBe(true);
    // (k2 and k3 fail again in whichever order their threads finish)
    const idOf = new Map(first.map((l) => [l.key, l.id]));
    expect(again.map((l) => [l.key, l.replayOf]).sort()).toEqual([['k2', idOf.get('k2')], ['k3', idOf.get('k3')]]);

    // a replay of the job takes only what was not replayed yet: the two new letters
    writeFileSync(shut, '');
    const [r2] = await w.deadLetters.replay({ jobId: 'j' });
    expect(r2).toMatchObject({ replayed: 2, result: { succeeded: 2, deadLettered: 0 } });
    expect(w.deadLetters.list({ jobId: 'j', limit: 1000 }).items.filter((l) => l.replayedAt === undefined)).toEqual([]);
  });

  it('a corrupt or oversized stored input: a clear error for that letter alone, on get and on replay; the others run', async () => {
    const t = temp();
    const gate = join(t.dir, 'gate');
    const w = warden(t.path);
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: gated, source: () => [0, 1, 2].map((n) => ({ n, gate })) });
    await w.runNow('j');
    const ids = w.deadLetters.list().items.map((l) => l.id);
    const raw = new Database(t.path);
    raw.prepare('UPDATE dead_letters SET input = ? WHERE id = ?').run(Buffer.from([0xc1, 0xc1, 0xc1]), ids[0]);
    raw.prepare('UPDATE dead_letters SET input = zeroblob(2000000) WHERE id = ?').run(ids[1]);
    raw.close();

    expect(w.deadLetters.get(ids[0]!)?.payload).toMatchObject({ ok: false, error: { code: 'ERR_WARDEN_STORE_PAYLOAD', problem: 'corrupt' } });
    expect(w.deadLetters.get(ids[1]!)?.payload).toMatchObject({ ok: false, error: { problem: 'oversized', size: 2_000_000 } });
    writeFileSync(gate, '');
    const [r] = await w.deadLetters.replay({ ids });
    expect(r!.unreadable.map((u) => [u.id, u.error.problem])).toEqual([
      [ids[0], 'corrupt'],
      [ids[1], 'oversized'],
    ]);
    expect(r).toMatchObject({ replayed: 1, result: { total: 1, succeeded: 1 } });
    // the unreadable ones are left as they are, replayable once fixed
    expect(w.deadLetters.list().items.filter((l) => l.replayedAt === undefined).map((l) => l.id)).toEqual([ids[0], ids[1]]);
  });

  it('purge deletes by filter and refuses an empty one', async () => {
    const t = temp();
    const w = warden(t.path);
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: gated, source: () => [0, 1, 2].map((n) => ({ n, gate: join(t.dir, 'x') })) });
    await w.runNow('j');
    const ids = w.deadLetters.list().items.map((l) => l.id);
    expect(() => w.deadLetters.purge({})).toThrow(/options?|filter.*is empty.*\{ all: true \}/);
    expect(w.deadLetters.purge({ ids: [ids[0]!] })).toBe(1);
    expect(w.deadLetters.purge({ jobId: 'other' })).toBe(0);
    expect(w.deadLetters.purge({ jobId: 'j', replayed: false })).toBe(2);
    expect(w.deadLetters.list().items).toEqual([]);
  });

  it("store settings: synchronous 'normal' when asked; 'full' by default, for the string form too", async () => {
    const t = temp();
    const seen: number[] = [];
    const storeFaults = { before() {}, closing: (store: { db: Database.Database }) => void seen.push(store.db.pragma('synchronous', { simple: true }) as number) };
    for (const store of [{ sqlite: t.path, synchronous: 'normal' as const }, { sqlite: t.path }, `sqlite:${t.path}` as const]) {
      const w = createWardenWith({ logger: quiet, store }, { storeFaults });
      expect(w.storePath).toBe(t.path);
      await w.close();
    }
    expect(seen).toEqual([1, 2, 2]); // NORMAL, FULL, FULL
  });

  it('rejects a bad store option and bad replay selections with the field named', async () => {
    expect(() => createWarden({ logger: quiet, store: 'postgres://x' as never })).toThrow(expect.objectContaining({ field: 'options.store' }));
    expect(() => createWarden({ logger: quiet, store: { sqlite: '' } })).toThrow(expect.objectContaining({ field: 'options.store.sqlite' }));
    expect(() => createWarden({ logger: quiet, store: { sqlite: 'x.db', synchronous: 'off' as never } })).toThrow(/options\.store\.synchronous must be 'full' or 'normal' \(got "off"\)/);
    expect(() => createWarden({ logger: quiet, store: { sqlite: 'x.db', sync: 'normal' } as never })).toThrow(expect.objectContaining({ field: 'options.store.sync' }));
    const w = warden(':memory:');
    await expect(w.deadLetters.replay({ jobId: 'nope' })).rejects.toMatchObject({ field: 'selection.jobId' });
    await expect(w.deadLetters.replay({ ids: [] })).rejects.toMatchObject({ field: 'selection.ids' });
    await expect(w.deadLetters.replay({} as never)).rejects.toMatchObject({ field: 'selection' });
  });
});

describe('the schedule across a host restart', () => {
  const HOUR = 3_600_000;

  async function hostDownFor(t: { path: string }, spec: { coalesce: boolean; misfireGraceMs: number }, downMs: number) {
    const clock = new SimulatedClock();
    clock.set(10 * HOUR);
    const a = createWarden({ logger: quiet, store: `sqlite:${t.path}`, clock });
    const job = { id: 'hourly', trigger: { everyMs: HOUR }, task: gated, source: () => [{ n: 1 }], ...spec };
    a.defineJob(job);
    await a.start();
    await a.close({ graceMs: 0 }); // the host goes down before the first fire (at 11 h)
    clock.set(10 * HOUR + downMs);
    const b = createWarden({ logger: quiet, store: `sqlite:${t.path}`, clock });
    open.push(() => b.close({ graceMs: 0 }));
    const seen: Array<{ type: string; at?: number; coalesced?: number }> = [];
    b.on('run.started', (e) => seen.push({ type: 'started', at: e.scheduledAt.getTime(), coalesced: e.coalesced }));
    b.on('run.missed', (e) => seen.push({ type: 'missed', at: e.scheduledAt.getTime() }));
    b.on('run.skipped', (e) => seen.push({ type: 'skipped', at: e.scheduledAt.getTime() }));
    const finished = new Promise((res) => b.on('run.finished', res));
    b.defineJob(job);
    await b.start();
    return { seen, finished, b };
  }

  it('coalesce: the fires that fell while the host was down (within the grace) run once, as the latest', async () => {
    const t = temp();
    // down from 10 h to 13.5 h: fires at 11, 12, 13 h were missed by the host; grace 4 h covers all three
    const { seen, finished } = await hostDownFor(t, { coalesce: true, misfireGraceMs: 4 * HOUR }, 3.5 * HOUR);
    await finished;
    expect(seen).toEqual([{ type: 'started', at: 13 * HOUR, coalesced: 3 }]);
  });

  it('misfire grace: fires older than the grace are missed; the next one is armed as usual', async () => {
    const t = temp();
    const { seen, b } = await hostDownFor(t, { coalesce: true, misfireGraceMs: 10 * 60_000 }, 3.5 * HOUR);
    expect(seen).toEqual([{ type: 'missed', at: 11 * HOUR }]);
    expect(b.instances('hourly')).toBe(0);
  });

  it('a one-time trigger that already ran does not run again after a restart', async () => {
    const t = temp();
    const clock = new SimulatedClock();
    clock.set(HOUR);
    const job = { id: 'once', trigger: { at: new Date(2 * HOUR) }, task: gated, source: () => [{ n: 1 }], misfireGraceMs: 10 * HOUR };
    const a = createWarden({ logger: quiet, store: `sqlite:${t.path}`, clock });
    a.defineJob(job);
    const ran = new Promise((res) => a.on('run.finished', res));
    await a.start();
    clock.increment(HOUR);
    await ran;
    await a.close();
    clock.increment(HOUR);
    const b = createWarden({ logger: quiet, store: `sqlite:${t.path}`, clock });
    open.push(() => b.close());
    let started = 0;
    b.on('run.started', () => started++);
    b.defineJob(job);
    await b.start();
    expect(started).toBe(0);
    expect(b.runs.list({ jobId: 'once' })).toHaveLength(1);
  });
});
