/**
 * Memory flatness: peak RSS of a whole process (main thread + workers) while
 * it runs N no-op tasks pulled lazily from a generator. Each measurement runs
 * in a fresh child process so results do not contaminate each other.
 *
 *   node bench/memory.mjs [--only=warden,piscina,plain]   (default warden,piscina)
 *   env: BENCH_SCALE (default 1), BENCH_WORKERS (default 2), BENCH_INFLIGHT (default 128)
 *   child mode (internal): node bench/memory.mjs --child N --contender NAME
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { SCALE, loadRunners, mb, parseOnly, requireDist, scaled } from './lib.mjs';

const WORKERS = Number(process.env.BENCH_WORKERS ?? 2);
const SAMPLE_MS = 50;
const TARGET_MB = 150;
const NOOP = new URL('./fixtures/noop.mjs', import.meta.url);
const argv = process.argv.slice(2);
const argOf = (flag) => argv[argv.indexOf(flag) + 1];

if (argv.includes('--child')) {
  await child(Number(argOf('--child')), argOf('--contender'));
} else {
  await parent();
}

/** Runs one measurement and prints one JSON line on stdout. */
async function child(count, name) {
  const run = (await loadRunners([name]))[name];
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
  setInterval(sample, SAMPLE_MS).unref();
  const t0 = performance.now();
  const { succeeded, note } = await run({ taskUrl: NOOP, count, workers: WORKERS });
  const wallMs = performance.now() - t0;
  sample();
  console.log(JSON.stringify({ name, count, succeeded, note, baseline, peak, wallMs }));
}

/** Spawns `node bench/memory.mjs --child N --contender NAME` and parses its result. */
function measure(name, count) {
  const args = [fileURLToPath(import.meta.url), '--child', String(count), '--contender', name];
  return new Promise((resolve, reject) => {
    const cp = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    cp.stdout.on('data', (d) => { out += d; });
    cp.on('error', reject);
    cp.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) reject(new Error(`${name} N=${count}: child exited ${code}`));
      else resolve(JSON.parse(line));
    });
  });
}

async function parent() {
  const names = parseOnly(argv, ['warden', 'piscina']);
  if (names.includes('warden')) requireDist();
  const small = scaled(100_000);
  const big = scaled(1_000_000);
  console.log(
    `node ${process.version}, load avg ${os.loadavg()[0].toFixed(2)}, workers=${WORKERS}, ` +
    `scale=${SCALE}, sampling every ${SAMPLE_MS} ms`,
  );

  const results = {};
  const rows = [];
  for (const name of names) {
    for (const count of [small, big]) {
      try {
        const r = await measure(name, count);
        results[`${name}:${count}`] = r;
        if (r.succeeded !== count) {
          process.exitCode = 1;
          console.error(`!! ${name} N=${count}: ${r.succeeded}/${count} succeeded ${r.note ?? ''}`);
        }
        rows.push({
          contender: name,
          tasks: count,
          'baseline MB': mb(r.baseline),
          'peak RSS MB': mb(r.peak),
          'wall ms': Math.round(r.wallMs),
        });
      } catch (err) {
        process.exitCode = 1;
        console.error(`!! ${err.message}`);
      }
    }
  }
  console.table(rows);

  const peak = (name, count) => results[`${name}:${count}`]?.peak;
  for (const name of names) {
    if (peak(name, small) && peak(name, big)) {
      console.log(`${name.padEnd(8)} flatness peak(${big})/peak(${small}) = ${(peak(name, big) / peak(name, small)).toFixed(2)}`);
    }
  }
  for (const other of names.filter((n) => n !== 'warden')) {
    for (const count of [small, big]) {
      if (peak('warden', count) && peak(other, count)) {
        console.log(`peak RSS warden/${other} at N=${count}: ${(peak('warden', count) / peak(other, count)).toFixed(2)}x`);
      }
    }
  }
  if (peak('warden', big)) {
    const ok = peak('warden', big) <= TARGET_MB * 1024 * 1024;
    const caveat = SCALE === 1 ? '' : ` (scaled run, N=${big}; the target is defined at N=1,000,000)`;
    console.log(`target: Warden peak RSS at 1M <= ${TARGET_MB} MB -> ${mb(peak('warden', big))} MB ${ok ? 'PASS' : 'FAIL'}${caveat}`);
  } else {
    console.log(`target (Warden only): peak RSS at 1M <= ${TARGET_MB} MB`);
  }
}
