import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { liveProcessCount } from '../src/actors/processRegistry.js';
import { runBatch } from '../src/runtime/runBatch.js';
import type { RunBatchOptions } from '../src/runtime/runBatchOptions.js';
import { expectAccounted, fixture, letterBox, poolWatcher, quiet } from './helpers.js';
import { allDead, isAlive, pidRecorder, readPid } from './isolationHelpers.js';

// Real child processes. Each case runs one misbehaving task as a chunk of its own, then
// reads the rest of the source only once every slot is idle again (the pool back to its
// size: a handshake, no sleep), and checks that no worker process is left alive.

const dir = mkdtempSync(join(tmpdir(), 'warden-isolation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const leftovers: number[] = [];
afterEach(() => {
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
});

type Input = { do: string; pidFile?: string };

/** Runs `bad` on 2 process workers (+1 spare), then 3 ok tasks once the pool is back to size. */
async function runOne(bad: Input, extra: Partial<RunBatchOptions<Input>> = {}) {
  const box = letterBox<Input>();
  const pool = poolWatcher(3);
  const recorder = pidRecorder();
  const events: string[] = [];
  let sawFullPool = false;
  async function* source() {
    yield bad;
    await pool.whenAllIdle();
    sawFullPool = true;
    yield* [{ do: 'ok' }, { do: 'ok' }, { do: 'ok' }];
  }
  try {
    const s = await runBatch<Input>({
      task: fixture('isolation.mjs'),
      source: source(),
      isolation: 'process',
      workers: 2,
      chunkSize: 1, // the bad task is a chunk of its own: the next one is read once it has ended
      earlyChunks: 0,
      timeouts: { taskMs: 400, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100, terminateMs: 2_000 },
      logger: quiet,
      inspect: pool.inspect,
      onDeadLetter: box.onDeadLetter,
      onEvent: (e) => events.push(e.type),
      ...extra,
    });
    return { s, letters: box.letters, sawFullPool, pids: recorder.pids, events };
  } finally {
    recorder.stop();
  }
}

/** The run is over: every worker process it started has exited and been reaped. */
async function expectNoWorkerProcess(pids: Set<number>, atLeast = 3) {
  expect(pids.size).toBeGreaterThanOrEqual(atLeast);
  expect(liveProcessCount()).toBe(0);
  expect(await allDead(pids)).toBe(true);
}

describe('isolation: process', () => {
  it('a task blocked in execSync ends at its budget; SIGTERM to the process group ends the child and its sleep; no stuck worker', async () => {
    const pidFile = join(dir, 'sleep-1.pid');
    const { s, letters, sawFullPool, pids, events } = await runOne({ do: 'sleep', pidFile });
    const sleepPid = readPid(pidFile);
    if (sleepPid !== undefined) leftovers.push(sleepPid);
    expect(sawFullPool).toBe(true);
    expect(letters[0]).toMatchObject({ key: '0', reason: 'timeout' });
    expect(letters[0]?.error.message).toMatch(/budget of 400 ms/);
    expect(s.stuckThreads).toBe(0);
    expect(events).not.toContain('worker.stuck');
    expect(s.workerRestarts).toBe(1);
    expect(s.succeeded).toBe(3);
    expect(sleepPid).toBeTypeOf('number');
    expect(await allDead([sleepPid as number])).toBe(true);
    await expectNoWorkerProcess(pids);
    expectAccounted(s, letters, 4);
  });

  it('a child that ignores SIGTERM is killed with SIGKILL after the grace, inside terminateMs (not stuck)', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (l: string) => void lines.push(l) });
    const { s, letters, pids } = await runOne({ do: 'ignore-term' }, { logger });
    expect(letters[0]).toMatchObject({ reason: 'timeout' });
    expect(lines.some((l) => l.includes('did not exit on SIGTERM'))).toBe(true);
    expect(s.stuckThreads).toBe(0);
    expect(s.succeeded).toBe(3);
    await expectNoWorkerProcess(pids);
    expectAccounted(s, letters, 4);
  });

  for (const leak of ['leak-heap', 'leak-buffers'] as const) {
    it(`${leak}: over maxMemoryMb the child is killed, the task is dead-lettered crash with ERR_WARDEN_WORKER_MEMORY, the host lives on`, async () => {
      // a budget the leak cannot reach: the memory cap must end it
      const timeouts = { taskMs: 20_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100, terminateMs: 2_000 };
      const { s, letters, sawFullPool, pids } = await runOne({ do: leak }, { maxMemoryMb: 128, timeouts });
      expect(sawFullPool).toBe(true);
      expect(letters[0]).toMatchObject({ key: '0', reason: 'crash', attempts: 1 });
      expect(letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_MEMORY');
      expect(letters[0]?.error.name).toBe('WorkerMemoryError');
      if (leak === 'leak-buffers') expect(letters[0]?.error.message).toMatch(/over its cap of 128 MB/);
      expect(s.workerRestarts).toBe(1);
      expect(s.succeeded).toBe(3);
      await expectNoWorkerProcess(pids);
      expectAccounted(s, letters, 4);
    });
  }

  it("the postmortem's allocation (new Array(1e8)) under maxMemoryMb kills the child, not the host", async () => {
    const timeouts = { taskMs: 20_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100, terminateMs: 2_000 };
    const { s, letters, sawFullPool, pids } = await runOne({ do: 'array-1e8' }, { maxMemoryMb: 96, timeouts });
    expect(sawFullPool).toBe(true);
    expect(letters[0]).toMatchObject({ key: '0', reason: 'crash' });
    expect(letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_MEMORY');
    expect(s.succeeded).toBe(3);
    await expectNoWorkerProcess(pids);
    expectAccounted(s, letters, 4);
  });

  it('a worker killed from outside (kill -9 its pid) mid-task: crash, replaced, the batch goes on', async () => {
    // Handshake: the task logs its pid once it runs; the logger kills that process there and then.
    let killed: number | undefined;
    const logger = pino({ level: 'info' }, {
      write(line: string) {
        const o = JSON.parse(line) as { msg?: string; data?: { pid?: number } };
        if (o.msg === 'worker pid' && o.data?.pid !== undefined) {
          killed = o.data.pid;
          process.kill(killed, 'SIGKILL');
        }
      },
    });
    const { s, letters, sawFullPool, pids } = await runOne({ do: 'pid-then-hang' }, { logger });
    expect(killed).toBeTypeOf('number');
    expect(pids.has(killed as number)).toBe(true);
    expect(sawFullPool).toBe(true);
    expect(letters[0]).toMatchObject({ key: '0', reason: 'crash' });
    expect(letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_CRASH');
    expect(letters[0]?.error.message).toMatch(/killed by SIGKILL/);
    expect(s.workerRestarts).toBe(1);
    expect(s.succeeded).toBe(3);
    await expectNoWorkerProcess(pids);
    expectAccounted(s, letters, 4);
  });

  for (const [death, signal] of [['abort', 'SIGABRT'], ['segv', 'SIGSEGV']] as const) {
    it(`${death}: a child that dies by ${signal} is a crash; the slot gets a new process`, async () => {
      const { s, letters, sawFullPool, pids } = await runOne({ do: death });
      expect(sawFullPool).toBe(true);
      expect(letters[0]).toMatchObject({ key: '0', reason: 'crash' });
      expect(letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_CRASH');
      expect(letters[0]?.error.message).toContain(`killed by ${signal}`);
      expect(s.workerRestarts).toBe(1);
      expect(s.succeeded).toBe(3);
      await expectNoWorkerProcess(pids);
      expectAccounted(s, letters, 4);
    });
  }

  it('behaves as threads do: hangs end at their budget, a task that honours its signal frees its worker without a kill, exit and uncaught errors are crashes', async () => {
    const box = letterBox<{ do: string }>();
    const recorder = pidRecorder();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: ['spin', 'never', 'abortable', 'exit', 'uncaught', 'ok', 'ok', 'ok'].map((b) => ({ do: b })),
      isolation: 'process',
      workers: 2,
      chunkSize: 100,
      timeouts: { taskMs: 300, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    }).finally(recorder.stop);
    const byKey = Object.fromEntries(box.letters.map((l) => [l.key, l]));
    expect(byKey['0']?.reason).toBe('timeout');
    expect(byKey['1']?.reason).toBe('timeout');
    expect(byKey['2']?.reason).toBe('timeout');
    expect(byKey['3']).toMatchObject({ reason: 'crash' });
    expect(byKey['3']?.error.message).toMatch(/exit code 3/);
    expect(byKey['4']?.error.message).toMatch(/exit code 1\): uncaught in worker/);
    expect(s.workerRestarts).toBe(4); // all but the abortable task's worker
    expect(s.succeeded).toBe(3);
    await expectNoWorkerProcess(recorder.pids); // 3 at the start, and a replacement for each restart that the end of the batch did not cut short
    expectAccounted(s, box.letters, 8);
  });

  it('children that die on their own count in restart intensity: too many escalate', async () => {
    const box = letterBox<Input>();
    const recorder = pidRecorder();
    const s = await runBatch<Input>({
      task: fixture('isolation.mjs'),
      source: [{ do: 'segv' }, { do: 'segv' }, { do: 'ok' }],
      isolation: 'process',
      workers: 1,
      spareWorkers: 0,
      chunkSize: 10,
      restarts: { intensity: 1, periodMs: 60_000 },
      timeouts: { taskMs: 5_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    }).finally(recorder.stop);
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('restart-intensity');
    expect(s.byReason.crash).toBe(2);
    await expectNoWorkerProcess(recorder.pids, 2);
    expectAccounted(s, box.letters, 3);
  });
});
