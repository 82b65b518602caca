/**
 * The store's costs, peers in the same run:
 *  1. dead-letter writes, of letters that share one failure and of letters with their own
 *     errors: StoreWriter (msgpackr-encoded input, 15 columns, IMMEDIATE
 *     transactions of `batchRows`) on a file with synchronous=FULL, and with NORMAL, vs the same writer on
 *     ':memory:' (no I/O at all: what the CPU allows for this row), vs one plain INSERT per
 *     row with the input already encoded (what a writer without multi-row INSERTs does);
 *  2. persistence on a run: 100k no-op tasks (1 % failing → dead letters) through
 *     createWarden with store 'sqlite:<file>' vs 'memory', alternating, median of runs.
 *
 *   npm run build && node bench/store.mjs
 *   env: BENCH_SCALE (default 1), BENCH_RUNS (default 3), BENCH_ONLY (writes | run: one part)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { requireDist, scaled } from './lib.mjs';

requireDist();
const { createWarden, runBatch } = await import('../dist/index.js');
const { openSqliteStore } = await import('../dist/store/openSqliteStore.js');
const { encodeInput } = await import('../dist/store/payload.js');

const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

console.log(`node ${process.version}, ${os.availableParallelism()} CPUs, load avg ${os.loadavg()[0].toFixed(2)}, runs=${RUNS}, dir=${dir}`);

// ── 1. dead-letter write throughput ─────────────────────────────────────────
const ROWS = scaled(200_000);
// one failure: a dead dependency times every task out the same way (the postmortem's case;
// Warden's own errors carry no stack); own errors: each letter its own message, code and
// stack (bad rows in the data)
const failures = {
  'one failure': () => ({ name: 'TaskTimeoutError', message: 'the task ran past its budget of 30000 ms', code: 'ERR_WARDEN_TASK_TIMEOUT' }),
  'own errors': (i) => ({ name: 'RangeError', message: `row ${i}: elevation ${i % 9000} out of range`, code: i % 2 ? 'ERANGE' : 22, stack: `RangeError: row ${i}: elevation ${i % 9000} out of range\n    at check (file:///app/tasks/hazard.js:${i % 300}:9)` }),
};
const lettersOf = (error) =>
  Array.from({ length: ROWS }, (_, i) => ({
    key: `lat=${(i % 180) - 90},lon=${i % 360}`,
    index: i,
    input: { lat: (i % 180) - 90, lon: i % 360, year: 2026 },
    reason: 'timeout',
    error: error(i),
    attempts: 3,
    firstFailedAt: new Date(1_700_000_000_000 + i),
    lastFailedAt: new Date(1_700_000_001_000 + i),
  }));

function writer(letters, batchRows, n, { memory = false, synchronous = 'full' } = {}) {
  const store = openSqliteStore(memory ? ':memory:' : join(dir, `w${batchRows}-${n}-${synchronous}.db`), { synchronous });
  const w = store.writer({ batchRows });
  const t0 = performance.now();
  for (const l of letters) w.add({ jobId: 'bench', runId: 'r1', letter: l });
  w.flush();
  const ms = performance.now() - t0;
  store.close();
  return ROWS / (ms / 1000);
}

function plain(letters, batchRows, n) {
  const store = openSqliteStore(join(dir, `f${batchRows}-${n}.db`));
  const db = store.db;
  const insert = db.prepare(
    `INSERT INTO dead_letters (job_id, run_id, task_key, task_index, input, input_error, reason,
       error_name, error_message, error_code, error_stack, attempts, first_failed_at, last_failed_at, replay_of)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const rows = letters.map((l) => ['bench', 'r1', l.key, l.index, encodeInput(l.input).bytes, null, l.reason, l.error.name, l.error.message, l.error.code, l.error.stack, l.attempts, l.firstFailedAt.getTime(), l.lastFailedAt.getTime(), null]);
  const tx = db.transaction((batch) => {
    for (const r of batch) insert.run(...r);
  });
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batchRows) tx.immediate(rows.slice(i, i + batchRows));
  const ms = performance.now() - t0;
  store.close();
  return ROWS / (ms / 1000);
}

const ONLY = process.env.BENCH_ONLY;
const TARGET = 200_000;
if (ONLY !== 'run') {
  console.log(`\n1. dead-letter writes: ${fmt(ROWS)} rows (WAL, synchronous=FULL), rows/s, median of ${RUNS}`);
  console.log('letters       batchRows   StoreWriter, file   file, synchronous=NORMAL   StoreWriter, :memory:   plain INSERTs, file   file/memory   file/plain   file/target');
  for (const [name, error] of Object.entries(failures)) {
    const letters = lettersOf(error);
    for (const batchRows of [2000, 10_000]) {
      const w = [];
      const nm = [];
      const m = [];
      const f = [];
      for (let n = 0; n < RUNS; n++) {
        w.push(writer(letters, batchRows, n));
        nm.push(writer(letters, batchRows, n, { synchronous: 'normal' }));
        m.push(writer(letters, batchRows, n, { memory: true }));
        f.push(plain(letters, batchRows, n));
      }
      const [W, N, M, F] = [median(w), median(nm), median(m), median(f)];
      console.log(
        `${name.padEnd(11)}   ${String(batchRows).padStart(9)}   ${fmt(W).padStart(17)}   ${fmt(N).padStart(24)}   ${fmt(M).padStart(21)}   ${fmt(F).padStart(19)}   ${(W / M).toFixed(2).padStart(11)}   ${(W / F).toFixed(2).padStart(10)}   ${(W / TARGET).toFixed(2).padStart(11)}`,
      );
    }
  }
}

// ── 2. persistence cost on a run ────────────────────────────────────────────
const TASKS = scaled(100_000);
const task = new URL('./fixtures/failEvery.mjs', import.meta.url);
async function run(store) {
  const w = createWarden({ logger: pino({ level: 'silent' }), store, workers: 2 });
  w.defineJob({ id: 'bench', trigger: { cron: '0 2 1 1 *' }, task, chunkSize: 1000, timeouts: { taskMs: 30_000 }, source: () => Array.from({ length: TASKS }, (_, i) => i) });
  const t0 = performance.now();
  const s = await w.runNow('bench');
  const ms = performance.now() - t0;
  await w.close();
  if (s.total !== TASKS) throw new Error(`expected ${TASKS} tasks, got ${JSON.stringify(s)}`);
  return { ms, letters: s.deadLettered };
}
/** The same batch through runBatch alone: no warden, no store, no metrics (the floor). */
async function bare() {
  const t0 = performance.now();
  const s = await runBatch({ task, workers: 2, chunkSize: 1000, timeouts: { taskMs: 30_000 }, logger: pino({ level: 'silent' }), source: Array.from({ length: TASKS }, (_, i) => i) });
  if (s.total !== TASKS) throw new Error('bad run');
  return performance.now() - t0;
}
if (ONLY !== 'writes') {
  await run('memory'); // warm-up
  const mem = [];
  const file = [];
  const alone = [];
  let lettersPerRun = 0;
  for (let n = 0; n < RUNS; n++) {
    alone.push(await bare());
    mem.push((await run('memory')).ms);
    const r = await run(`sqlite:${join(dir, `run-${n}.db`)}`);
    file.push(r.ms);
    lettersPerRun = r.letters;
  }
  console.log(`\n2. a run of ${fmt(TASKS)} no-op tasks (${fmt(lettersPerRun)} dead letters, chunks of 1000), 2 workers, ms, median of ${RUNS}`);
  console.log(`runBatch alone: ${fmt(median(alone))} ms   warden, store 'memory': ${fmt(median(mem))} ms   warden, store file: ${fmt(median(file))} ms`);
  console.log(`file/memory: ${(median(file) / median(mem)).toFixed(3)}   memory/runBatch alone (warden layer: metrics, events, run rows): ${(median(mem) / median(alone)).toFixed(3)}`);
}
rmSync(dir, { recursive: true, force: true });
