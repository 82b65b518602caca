/**
 * Shared helpers for the bench scripts: options from argv/env, a lazy source
 * generator, a bounded-in-flight driver, and one runner per contender.
 *
 * Every runner has the same shape and measures the same thing:
 *   create pool -> feed `count` inputs from a generator -> await every result
 *   -> shut the pool down.  Warden's runBatch does all of that in one call, so
 *   pool start-up and teardown are included for Piscina and the plain pool too.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PlainPool } from './plainPool.mjs';

export const CONTENDERS = ['warden', 'piscina', 'plain'];
const DIST = new URL('../dist/index.js', import.meta.url);

/** BENCH_SCALE multiplies every task count (default 1 = full size). */
export const SCALE = Number(process.env.BENCH_SCALE ?? 1);
/** Max tasks in flight when feeding Piscina / the plain pool (default 128). */
export const IN_FLIGHT = Number(process.env.BENCH_INFLIGHT ?? 128);

/** @param {number} n */
export const scaled = (n) => Math.max(1, Math.round(n * SCALE));

/**
 * Reads `--only=a,b` (or `--only a,b`) from argv; defaults to `fallback`.
 * @param {string[]} argv
 * @param {string[]} fallback
 */
export function parseOnly(argv, fallback = CONTENDERS) {
  const i = argv.findIndex((a) => a === '--only' || a.startsWith('--only='));
  if (i === -1) return fallback;
  const raw = argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1] ?? '';
  const names = raw.split(',').map((s) => s.trim()).filter(Boolean);
  const bad = names.filter((n) => !CONTENDERS.includes(n));
  if (bad.length || !names.length) {
    console.error(`--only: unknown contender(s) ${bad.join(',')}; use ${CONTENDERS.join(',')}`);
    process.exit(2);
  }
  return names;
}

/** Exit 1 with a hint unless the library has been built. */
export function requireDist() {
  if (!existsSync(DIST)) {
    console.error('dist/index.js not found: run `npm run build` first');
    process.exit(1);
  }
}

/** Lazy source of the integers 0..n-1. @param {number} n */
export function* range(n) {
  for (let i = 0; i < n; i++) yield i;
}

/**
 * Feeds `source` to `submit`, keeping at most `limit` promises in flight.
 * Resolves with the number of settled-ok tasks; rejects on the first failure.
 * @param {Iterable<unknown>} source
 * @param {(input: unknown) => Promise<unknown>} submit
 * @param {number} limit
 */
export function runBounded(source, submit, limit) {
  const it = source[Symbol.iterator]();
  let inFlight = 0;
  let ok = 0;
  let exhausted = false;
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (!exhausted && inFlight < limit) {
        const next = it.next();
        if (next.done) { exhausted = true; break; }
        inFlight++;
        submit(next.value).then(() => { inFlight--; ok++; pump(); }, reject);
      }
      if (exhausted && inFlight === 0) resolve(ok);
    };
    pump();
  });
}

/**
 * @typedef {{ taskUrl: URL, count: number, workers: number }} RunSpec
 * @typedef {(spec: RunSpec) => Promise<{ succeeded: number, note?: string }>} Runner
 *   (`note` is printed only when succeeded !== count)
 */

/** @type {Record<string, () => Promise<Runner>>} */
const loaders = {
  async warden() {
    requireDist();
    const { runBatch } = await import(DIST.href);
    const { default: pino } = await import('pino');
    const logger = pino({ level: 'silent' });
    return async ({ taskUrl, count, workers }) => {
      const summary = await runBatch({
        task: taskUrl,
        source: range(count),
        workers,
        chunkSize: 1000,
        timeouts: { batchMs: 600_000, chunkMs: 300_000, taskMs: 60_000, killGraceMs: 1000 },
        logger,
      });
      const note = `status=${summary.status} deadLettered=${summary.deadLettered} pending=${summary.pending}`;
      return { succeeded: summary.succeeded, note };
    };
  },
  async piscina() {
    const { Piscina } = await import('piscina');
    return async ({ taskUrl, count, workers }) => {
      const pool = new Piscina({
        filename: fileURLToPath(taskUrl),
        minThreads: workers,
        maxThreads: workers,
      });
      try {
        return { succeeded: await runBounded(range(count), (x) => pool.run(x), IN_FLIGHT) };
      } finally {
        await pool.destroy();
      }
    };
  },
  async plain() {
    return async ({ taskUrl, count, workers }) => {
      const pool = new PlainPool({ taskUrl, workers });
      try {
        return { succeeded: await runBounded(range(count), (x) => pool.run(x), IN_FLIGHT) };
      } finally {
        await pool.close();
      }
    };
  },
};

/**
 * Loads the runners for the given contender names (checks dist/ first if
 * Warden is among them, so a missing build fails before any work).
 * @param {string[]} names
 * @returns {Promise<Record<string, Runner>>}
 */
export async function loadRunners(names) {
  if (names.includes('warden')) requireDist();
  const out = {};
  for (const n of names) out[n] = await loaders[n]();
  return out;
}

/** Bytes -> MB string. @param {number} b */
export const mb = (b) => (b / 1024 / 1024).toFixed(1);
