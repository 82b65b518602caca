/**
 * Throughput: Warden runBatch vs Piscina vs a plain worker_threads pool, all
 * on the same number of workers, in one process.
 *
 *   node bench/throughput.mjs [--only=warden,piscina,plain]
 *   env: BENCH_SCALE (default 1), BENCH_RUNS (default 1, median reported),
 *        BENCH_WORKERS (default 2), BENCH_INFLIGHT (default 128),
 *        BENCH_WARMUP=0 to skip the small unreported warm-up round.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { IN_FLIGHT, SCALE, loadRunners, parseOnly, scaled } from './lib.mjs';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
const WARMUP = process.env.BENCH_WARMUP !== '0';
const SPIN_MS = 1;

const scenarios = [
  { name: 'noop', task: new URL('./fixtures/noop.mjs', import.meta.url), count: scaled(200_000) },
  { name: 'spin1ms', task: new URL('./fixtures/spin1ms.mjs', import.meta.url), count: scaled(20_000), cpuMs: SPIN_MS },
];

const names = parseOnly(process.argv.slice(2));
const runners = await loadRunners(names);

console.log(
  `node ${process.version}, ${os.availableParallelism()} CPUs, load avg ${os.loadavg()[0].toFixed(2)}, ` +
  `workers=${WORKERS}, scale=${SCALE}, runs=${RUNS}, in-flight cap (piscina/plain)=${IN_FLIGHT}`,
);

if (WARMUP) {
  for (const name of names) {
    for (const s of scenarios) {
      await runners[name]({ taskUrl: s.task, count: Math.min(s.count, 1000), workers: WORKERS });
    }
  }
}

/** @param {number[]} xs */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let failed = false;
const rows = [];
for (const s of scenarios) {
  // Runs are interleaved (a b c a b c ...) so slow drift hits every contender alike.
  const walls = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < RUNS; r++) {
    for (const name of names) {
      const t0 = performance.now();
      const { succeeded, note } = await runners[name]({ taskUrl: s.task, count: s.count, workers: WORKERS });
      walls[name].push(performance.now() - t0);
      if (succeeded !== s.count) {
        failed = true;
        console.error(`!! ${name}/${s.name}: ${succeeded}/${s.count} succeeded ${note ?? ''}`);
      }
    }
  }
  for (const name of names) {
    const wallMs = median(walls[name]);
    const idealMs = s.cpuMs ? (s.count * s.cpuMs) / WORKERS : undefined;
    rows.push({
      scenario: s.name,
      contender: name,
      tasks: s.count,
      'wall ms': Math.round(wallMs),
      'tasks/s': Math.round(s.count / (wallMs / 1000)),
      'ideal ms': idealMs === undefined ? '-' : Math.round(idealMs),
      efficiency: idealMs === undefined ? '-' : `${((idealMs / wallMs) * 100).toFixed(1)}%`,
    });
  }
}
console.table(rows);

// Throughput ratios (a/b > 1 means a is faster), within this run only.
const pairs = [['warden', 'piscina'], ['warden', 'plain'], ['piscina', 'plain']];
for (const s of scenarios) {
  const tps = (c) => rows.find((r) => r.scenario === s.name && r.contender === c)?.['tasks/s'];
  const parts = pairs
    .filter(([a, b]) => tps(a) && tps(b))
    .map(([a, b]) => `${a}/${b} = ${(tps(a) / tps(b)).toFixed(2)}x`);
  if (parts.length) console.log(`${s.name.padEnd(8)} throughput ratio: ${parts.join('   ')}`);
}

process.exitCode = failed ? 1 : 0;
