/**
 * Thread vs process isolation, measured in the same run (compare only within one run):
 *
 *   1. spawn-to-ready: runBatch() called → the worker slot first idle (its module loaded)
 *   2. hang recovery: the hung task's dead letter → the slot idle again on a new worker,
 *      for a busy loop and for a task blocked in execSync('sleep 1000')
 *   3. cost per task: 20,000 no-op tasks on 2 workers, wall time and tasks/s
 *   4. the IPC channel alone: 20,000 tasks sent to a child and their numbers echoed back,
 *      one task per message and 32 per message (Warden's group for tiny tasks), `json` vs `advanced`
 *
 * Usage: npm run build && node bench/isolation.mjs
 * Env: BENCH_SCALE (task counts), BENCH_RUNS (runs per cell, median reported; default 5)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireDist, scaled } from './lib.mjs';

// ── the child side of part 4: echo each task message's sequence number back ──
if (process.argv[2] === '--echo') {
  process.on('message', (m) => {
    for (const t of m.tasks) process.send(t.seq);
  });
  process.send('ready');
} else {
  await main();
}

async function main() {
  requireDist();
  const { runBatch, liveThreadCount } = await import('../dist/index.js');
  const { default: pino } = await import('pino');
  const logger = pino({ level: 'silent' });
  const RUNS = Number(process.env.BENCH_RUNS ?? 5);
  const TASKS = scaled(20_000);
  const NOOP = new URL('./fixtures/noop.mjs', import.meta.url);
  const BEHAVE = new URL('../test/fixtures/behave.mjs', import.meta.url);
  const BLOCK = new URL('../test/fixtures/isolation.mjs', import.meta.url);
  const dir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  const ISOLATIONS = ['thread', 'process'];

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const isIdle = (e, id) =>
    e.type === '@xstate.snapshot' && e.actorRef.id === id && JSON.stringify(e.snapshot.value) === '{"alive":"idle"}';
  const timeouts = { taskMs: 200, chunkMs: 60_000, batchMs: 120_000, killGraceMs: 50, terminateMs: 500 };

  async function spawnToReady(isolation) {
    const t0 = performance.now();
    let ready;
    const inspect = (e) => {
      if (ready === undefined && isIdle(e, 'worker-0')) ready = performance.now() - t0;
    };
    await runBatch({ task: NOOP, source: [1], workers: 1, spareWorkers: 0, isolation, logger, inspect, timeouts });
    return ready;
  }

  async function hangRecovery(isolation, hang) {
    const pidFile = join(dir, `${isolation}-${hang}.pid`);
    const task = hang === 'spin' ? BEHAVE : BLOCK;
    const input = hang === 'spin' ? { do: 'spin' } : { do: 'sleep', pidFile };
    let dead;
    let back;
    const inspect = (e) => {
      if (dead !== undefined && back === undefined && isIdle(e, 'worker-0')) back = performance.now();
    };
    const s = await runBatch({
      task,
      source: [input, { do: 'ok' }],
      workers: 1,
      spareWorkers: 0,
      isolation,
      logger,
      inspect,
      timeouts,
      onDeadLetter: () => (dead = performance.now()),
    });
    if (hang === 'sleep') {
      // a thread stays stuck in its sleep: end it, so this process can exit
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
      } catch {}
    }
    return { ms: back - dead, stuck: s.stuckThreads };
  }

  async function perTask(isolation) {
    const t0 = performance.now();
    const s = await runBatch({
      task: NOOP,
      source: Array.from({ length: TASKS }, (_, i) => i),
      workers: 2,
      isolation,
      logger,
      timeouts: { taskMs: 60_000, chunkMs: 300_000, batchMs: 600_000, killGraceMs: 1000 },
    });
    if (s.succeeded !== TASKS) throw new Error(`${isolation}: ${s.succeeded}/${TASKS} succeeded`);
    return performance.now() - t0;
  }

  async function ipc(serialization, group) {
    const child = fork(fileURLToPath(import.meta.url), ['--echo'], { serialization });
    await new Promise((r) => child.once('message', r));
    const t0 = performance.now();
    let left = TASKS;
    const done = new Promise((r) => child.on('message', () => --left === 0 && r()));
    for (let i = 0; i < TASKS; i += group) {
      const tasks = [];
      for (let j = i; j < Math.min(TASKS, i + group); j++) tasks.push({ seq: j, key: String(j), input: { lat: 37.5, lon: 127 + j / 1e4 }, attempt: 1 });
      child.send({ t: 'run', tasks });
    }
    await done;
    const ms = performance.now() - t0;
    child.kill();
    return ms;
  }

  console.log(`# isolation bench — ${availableParallelism()} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, Node ${process.version}, runs ${RUNS}, tasks ${TASKS}`);
  // warm-up: module caches, JIT, page cache
  for (const iso of ISOLATIONS) await spawnToReady(iso);

  const cells = {};
  const add = (k, v) => (cells[k] ??= []).push(v);
  for (let r = 0; r < RUNS; r++) {
    for (const iso of ISOLATIONS) add(`ready.${iso}`, await spawnToReady(iso));
    for (const iso of ISOLATIONS) {
      for (const hang of ['spin', 'sleep']) {
        const { ms, stuck } = await hangRecovery(iso, hang);
        add(`hang.${hang}.${iso}`, ms);
        add(`stuck.${hang}.${iso}`, stuck);
      }
    }
    for (const iso of ISOLATIONS) add(`tasks.${iso}`, await perTask(iso));
    for (const group of [1, 32]) for (const ser of ['json', 'advanced']) add(`ipc.${ser}.${group}`, await ipc(ser, group));
  }
  const m = (k) => median(cells[k]);
  const f = (x) => x.toFixed(1);

  console.log('\n## spawn-to-ready (ms, median; one worker, module loaded)');
  console.log(`thread ${f(m('ready.thread'))}   process ${f(m('ready.process'))}   process/thread ${(m('ready.process') / m('ready.thread')).toFixed(2)}×`);

  console.log(`\n## hang recovery (ms from the dead letter to the slot idle on a new worker; killGraceMs ${timeouts.killGraceMs}, terminateMs ${timeouts.terminateMs})`);
  for (const hang of ['spin', 'sleep']) {
    const th = m(`hang.${hang}.thread`);
    const pr = m(`hang.${hang}.process`);
    console.log(
      `${hang === 'spin' ? 'busy loop        ' : "execSync('sleep')"}  thread ${f(th)} (stuck ${m(`stuck.${hang}.thread`)})   process ${f(pr)} (stuck ${m(`stuck.${hang}.process`)})   process/thread ${(pr / th).toFixed(2)}×`,
    );
  }

  console.log(`\n## ${TASKS} no-op tasks on 2 workers (wall ms incl. start and stop, median)`);
  const th = m('tasks.thread');
  const pr = m('tasks.process');
  console.log(`thread ${f(th)} (${Math.round(TASKS / (th / 1000))} tasks/s)   process ${f(pr)} (${Math.round(TASKS / (pr / 1000))} tasks/s)   process/thread ${(pr / th).toFixed(2)}×   extra per task ${(((pr - th) * 1000) / TASKS).toFixed(1)} µs`);

  console.log(`\n## IPC alone: ${TASKS} tasks to a child, their numbers back (ms, median)`);
  for (const group of [1, 32]) {
    const j = m(`ipc.json.${group}`);
    const a = m(`ipc.advanced.${group}`);
    console.log(`${String(group).padStart(2)} per message   json ${f(j)}   advanced ${f(a)}   advanced/json ${(a / j).toFixed(2)}×`);
  }

  rmSync(dir, { recursive: true, force: true });
  if (liveThreadCount() > 0) console.log(`(${liveThreadCount()} stuck thread(s) still exiting)`);
}
