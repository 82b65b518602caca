import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { Packr } from 'msgpackr';
import { afterEach, describe, expect, it } from 'vitest';
import { isOptionError } from '../../src/errors/OptionError.js';
import { isStorePayloadError } from '../../src/errors/StorePayloadError.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/openSqliteStore.js';
import type { StoredDeadLetterSummary } from '../../src/store/types.js';
import { letter, tempDb } from './storeHelpers.js';

const stores: SqliteStore[] = [];
let cleanup: (() => void) | undefined;
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  cleanup?.();
  cleanup = undefined;
});

function open(...args: Parameters<typeof openSqliteStore>): SqliteStore {
  const s = openSqliteStore(...args);
  stores.push(s);
  return s;
}

function fresh(): { path: string; store: SqliteStore } {
  const t = tempDb();
  cleanup = t.cleanup;
  return { path: t.path, store: open(t.path) };
}

describe('dead letters', () => {
  it('are written in batches of N rows, on flush and on close', () => {
    const { path, store } = fresh();
    const reader = open(path, { readonly: true });
    const w = store.writer({ batchRows: 10 });
    for (let i = 0; i < 25; i++) w.add({ jobId: 'job-a', runId: 'run-1', letter: letter(i) });
    expect(w.written).toBe(20);
    expect(w.pending).toBe(5);
    expect(reader.deadLetters.list({ limit: 1000 }).items).toHaveLength(20);
    expect(w.flush()).toBe(5);
    expect(reader.deadLetters.list({ limit: 1000 }).items).toHaveLength(25);
    w.add({ jobId: 'job-a', runId: 'run-1', letter: letter(25) });
    w.close();
    expect(reader.deadLetters.list({ limit: 1000 }).items).toHaveLength(26);
    expect(() => w.add({ jobId: 'job-a', runId: 'run-1', letter: letter(26) })).toThrow(/closed/);
    expect(store.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('round-trip every field, the input through msgpackr', () => {
    const { store } = fresh();
    const w = store.writer();
    const input = { lat: 33.5, lon: 124.5, when: new Date(5), tags: ['a', 'b'], big: 2n ** 70n, nested: { x: null } };
    w.add({ jobId: 'job-a', runId: 'run-1', letter: letter(1, input, 'timeout') });
    w.add({ jobId: 'job-a', runId: 'run-1', letter: letter(2) });
    w.close();
    const [first] = store.deadLetters.list().items;
    expect(first).toMatchObject({
      jobId: 'job-a',
      runId: 'run-1',
      key: 'k1',
      index: 1,
      reason: 'timeout',
      error: { name: 'Error', message: 'boom 1', code: 'ECONNRESET', stack: 'Error: boom 1\n    at x' },
      attempts: 3,
      firstFailedAt: new Date(1_700_000_000_001),
      lastFailedAt: new Date(1_700_000_001_001),
    });
    expect(first?.replayedAt).toBeUndefined();
    const got = store.deadLetters.get(first!.id);
    expect(got?.payload).toEqual({ ok: true, input });
    const second = store.deadLetters.get(first!.id + 1);
    expect(second?.error.code).toBe(42); // numeric codes stay numbers
    expect(store.deadLetters.get(9999)).toBeUndefined();
  });

  it('a flush of many rows (multi-row INSERTs plus a remainder) keeps every field of every row, in order', () => {
    const { store } = fresh();
    const w = store.writer({ batchRows: 10_000 });
    const sent = Array.from({ length: 123 }, (_, i) => letter(i, { i, s: 'x'.repeat(i) }, i % 3 ? 'error' : 'timeout'));
    for (const [i, l] of sent.entries()) w.add({ jobId: `job-${i % 2}`, runId: `run-${i % 5}`, letter: l, replayOf: i % 4 ? undefined : i + 1 });
    expect(w.flush()).toBe(123);
    const page = store.deadLetters.list({ limit: 1000 }).items;
    expect(page.map((l) => l.index)).toEqual(sent.map((l) => l.index));
    for (const [i, got] of page.entries()) {
      const l = sent[i]!;
      expect(got).toMatchObject({ jobId: `job-${i % 2}`, runId: `run-${i % 5}`, key: l.key, reason: l.reason, error: l.error, attempts: 3, firstFailedAt: l.firstFailedAt, lastFailedAt: l.lastFailedAt });
      expect(got.replayOf).toBe(i % 4 ? undefined : i + 1);
      expect(store.deadLetters.get(got.id)?.payload).toEqual({ ok: true, input: l.input });
    }
  });

  it('runs of rows of one run (whole multi-row INSERTs, remainders, single rows between) keep their run and their order', () => {
    const { store } = fresh();
    const w = store.writer({ batchRows: 10_000 });
    // 120 of run a (2 × 50 + 20), 7 of b, 51 of a again (50 + 1), then b/c alternating, then 50 of c
    const runs = [...Array(120).fill('a'), ...Array(7).fill('b'), ...Array(51).fill('a'), ...Array.from({ length: 9 }, (_, i) => (i % 2 ? 'b' : 'c')), ...Array(50).fill('c')];
    runs.forEach((run, i) => w.add({ jobId: `job-${run}`, runId: `run-${run}`, letter: letter(i, { i }) }));
    expect(w.flush()).toBe(runs.length);
    const got = store.deadLetters.list({ limit: 1000 }).items;
    expect(got.map((l) => [l.index, l.runId, l.jobId])).toEqual(runs.map((run, i) => [i, `run-${run}`, `job-${run}`]));
    expect(store.deadLetters.list({ runId: 'run-b', limit: 1000 }).items).toHaveLength(11);
  });

  it('stretches of one failure (job, run, reason and error bound once per block) and of mixed failures keep every field of every row, in order', () => {
    const { store } = fresh();
    const w = store.writer({ batchRows: 100_000 });
    // seeded stretches: a run (2 of them), a failure (3 errors: numeric and string codes, with and
    // without a stack, and per-row messages), a length from 1 to 130
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    const errors = [
      { name: 'TaskTimeoutError', message: 'the task ran past its budget of 30000 ms', code: 'ERR_WARDEN_TASK_TIMEOUT' },
      { name: 'Error', message: 'connect ECONNREFUSED', code: 111, stack: 'Error: connect ECONNREFUSED\n    at db' },
      { name: 'Error', message: 'bad row', stack: 'Error: bad row' },
    ];
    const sent: Array<{ runId: string; letter: ReturnType<typeof letter> }> = [];
    while (sent.length < 2000) {
      const runId = `run-${rnd(2)}`;
      const kind = rnd(4); // 3: each row its own message
      const reason = kind === 0 ? 'timeout' : 'error';
      for (let n = 1 + rnd(130); n > 0; n--) {
        const i = sent.length;
        const error = kind === 3 ? { name: 'Error', message: `boom ${i}`, code: i } : errors[kind]!;
        sent.push({ runId, letter: { ...letter(i, { i }, reason), error, attempts: 1 + (i % 3) } });
      }
    }
    for (const { runId, letter: l } of sent) w.add({ jobId: `job-${runId}`, runId, letter: l, replayOf: l.index % 7 ? undefined : l.index });
    expect(w.flush()).toBe(sent.length);
    const got: StoredDeadLetterSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = store.deadLetters.list({ limit: 1000, cursor });
      got.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
    expect(got).toHaveLength(sent.length);
    for (const [i, row] of got.entries()) {
      const { runId, letter: l } = sent[i]!;
      expect(row).toEqual({
        id: row.id, jobId: `job-${runId}`, runId, key: l.key, index: l.index, reason: l.reason, error: l.error, attempts: l.attempts,
        firstFailedAt: l.firstFailedAt, lastFailedAt: l.lastFailedAt, inputBytes: row.inputBytes, ...(l.index % 7 ? {} : { replayOf: l.index }),
      });
    }
    expect(store.deadLetters.get(got[1234]!.id)?.payload).toEqual({ ok: true, input: { i: 1234 } });
  });

  it('list: filters and keyset pagination visit every row exactly once', () => {
    const { store } = fresh();
    const w = store.writer({ batchRows: 64 });
    for (let i = 0; i < 250; i++) {
      w.add({
        jobId: i % 2 ? 'odd' : 'even',
        runId: `run-${i % 5}`,
        letter: letter(i, { i }, i % 3 === 0 ? 'timeout' : 'error'),
      });
    }
    w.close();

    const seen: StoredDeadLetterSummary[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = store.deadLetters.list({ jobId: 'even', limit: 30, cursor });
      seen.push(...page.items);
      cursor = page.cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(5); // 125 rows: 4 full pages and 5 rows
    expect(seen.map((l) => l.index)).toEqual(Array.from({ length: 125 }, (_, k) => 2 * k));
    expect(new Set(seen.map((l) => l.id)).size).toBe(125);

    // A page ending exactly on the last row has no cursor.
    const exact = store.deadLetters.list({ runId: 'run-0', limit: 50 });
    expect(exact.items).toHaveLength(50);
    expect(exact.cursor).toBeUndefined();

    const timeouts = store.deadLetters.list({ reason: 'timeout', jobId: 'odd', limit: 1000 }).items;
    expect(timeouts.every((l) => l.reason === 'timeout' && l.jobId === 'odd' && l.index % 3 === 0)).toBe(true);
    expect(timeouts).toHaveLength(42);

    for (const bad of [() => store.deadLetters.list({ limit: 0 }), () => store.deadLetters.list({ cursor: 'nope' })]) {
      let err: unknown;
      try {
        bad();
      } catch (e) {
        err = e;
      }
      expect(isOptionError(err)).toBe(true);
    }
  });

  it('a corrupt or oversized stored input gives a clear error for that row only', () => {
    const { path, store } = fresh();
    const w = store.writer();
    const big = { blob: 'x'.repeat(5000) };
    for (let i = 0; i < 5; i++) w.add({ jobId: 'j', runId: 'r', letter: letter(i, i === 3 ? big : { i }) });
    w.add({ jobId: 'j', runId: 'r', letter: letter(5, { n: 2n ** 64n * 3n }) });
    w.add({ jobId: 'j', runId: 'r', letter: letter(6, { s: Symbol('not storable') }) });
    w.close();
    const ids = store.deadLetters.list().items.map((l) => l.id);
    const packed = new Packr({ useRecords: false }).pack({ a: 'hello world', b: [1, 2, 3] });
    store.db.prepare('UPDATE dead_letters SET input = ? WHERE id = ?').run(Buffer.from([0xc1]), ids[0]); // never-used byte
    store.db.prepare('UPDATE dead_letters SET input = ? WHERE id = ?').run(packed.subarray(0, 7), ids[1]); // truncated
    store.db.prepare('UPDATE dead_letters SET input = ? WHERE id = ?').run(Buffer.alloc(0), ids[2]); // empty

    const small = open(path, { readonly: true, maxInputBytes: 1000 });
    for (const id of ids.slice(0, 3)) {
      const got = small.deadLetters.get(id);
      expect(got?.key).toBeDefined(); // the rest of the row is still readable
      expect(got?.payload.ok).toBe(false);
      if (got?.payload.ok === false) {
        expect(isStorePayloadError(got.payload.error)).toBe(true);
        expect(got.payload.error.code).toBe('ERR_WARDEN_STORE_PAYLOAD');
        expect(got.payload.error.problem).toBe('corrupt');
        expect(got.payload.error.message).toMatch(/msgpack/);
      }
    }
    const over = small.deadLetters.get(ids[3]!);
    expect(over?.inputBytes).toBeGreaterThan(5000);
    expect(over?.payload.ok).toBe(false);
    if (over?.payload.ok === false) {
      expect(over.payload.error.problem).toBe('oversized');
      expect(over.payload.error.limit).toBe(1000);
      expect(over.payload.error.message).toMatch(/raise maxInputBytes/);
    }
    expect(small.deadLetters.get(ids[4]!)?.payload).toEqual({ ok: true, input: { i: 4 } });
    expect(store.deadLetters.get(ids[3]!)?.payload).toEqual({ ok: true, input: big }); // default cap 1 MiB
    expect(store.deadLetters.get(ids[5]!)?.payload).toEqual({ ok: true, input: { n: 2n ** 64n * 3n } });
    const sym = store.deadLetters.get(ids[6]!);
    expect(sym?.key).toBe('k6'); // the letter itself was stored
    expect(sym?.payload.ok).toBe(false);
    if (sym?.payload.ok === false) {
      expect(sym.payload.error.problem).toBe('unencodable');
      expect(sym.payload.error.message).toMatch(/could not be stored: .*symbol/);
    }

    // A non-blob value in the column (written by hand) is also a per-row error.
    const raw = new Database(path);
    raw.pragma('busy_timeout = 2000');
    raw.prepare("UPDATE dead_letters SET input = x'' WHERE id = ?").run(ids[4]);
    raw.close();
    expect(small.deadLetters.get(ids[4]!)?.payload.ok).toBe(false);
  });

  it('a reader on a second connection reads while the writer writes (WAL)', () => {
    const { path, store } = fresh();
    const reader = open(path, { readonly: true, busyTimeoutMs: 0 }); // would fail at once if blocked
    const w = store.writer({ batchRows: 100 });
    for (let i = 0; i < 100; i++) w.add({ jobId: 'j', runId: 'r', letter: letter(i) });
    expect(w.written).toBe(100);

    // The writer holds an open write transaction: the reader still reads the last commit.
    store.db.exec('BEGIN IMMEDIATE');
    store.db.prepare("UPDATE dead_letters SET reason = 'crash'").run();
    expect(reader.deadLetters.list({ limit: 1000 }).items.every((l) => l.reason === 'error')).toBe(true);
    store.db.exec('ROLLBACK');

    // The reader holds an open read (a half-iterated statement): the writer still commits.
    const it = reader.db.prepare('SELECT id FROM dead_letters ORDER BY id').iterate();
    expect(it.next().done).toBe(false);
    for (let i = 100; i < 250; i++) w.add({ jobId: 'j', runId: 'r', letter: letter(i) });
    w.flush();
    let rest = 0;
    for (const _ of it) rest++;
    expect(rest).toBe(99); // its snapshot predates the new rows
    expect(reader.deadLetters.list({ limit: 1000 }).items).toHaveLength(250);
    w.close();
    expect(reader.db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
  });

  it('a reader in another process reads while the writer holds a write transaction', () => {
    const { path, store } = fresh();
    const w = store.writer();
    for (let i = 0; i < 10; i++) w.add({ jobId: 'j', runId: 'r', letter: letter(i) });
    w.flush();
    store.db.exec('BEGIN IMMEDIATE');
    store.db.prepare("DELETE FROM dead_letters").run();
    const child = spawnSync(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const d = new D(process.argv[1], { readonly: true, timeout: 0 });
         console.log(d.prepare('SELECT count(*) AS n FROM dead_letters').get().n); d.close();`,
        path,
      ],
      { encoding: 'utf8', timeout: 10_000 },
    );
    store.db.exec('ROLLBACK');
    expect(child.stderr).toBe('');
    expect(child.stdout.trim()).toBe('10');
    w.close();
  });
});
