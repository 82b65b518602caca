import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { liveThreadCount, whenThreadsExited } from '../src/actors/liveThreads.js';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, poolWatcher, quiet } from './helpers.js';
import { allDead, isAlive, readPid } from './isolationHelpers.js';

// Real worker threads doing what a thread cannot be stopped from. Where a thread cannot
// survive the case at all (kill -9 of its pid, process.abort(), a segfault: they take the
// host down), only isolation: 'process' applies (isolationProcess.test.ts).

const dir = mkdtempSync(join(tmpdir(), 'warden-isolation-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Input = { do: string; pidFile?: string };

describe('isolation: thread', () => {
  it('a thread stuck in execSync: the task ends at its budget, the thread is reported stuck and replaced, the run ends without waiting for it', async () => {
    const pidFile = join(dir, 'sleep-thread.pid');
    const box = letterBox<Input>();
    const pool = poolWatcher(3);
    const stuck: number[] = [];
    let sawFullPool = false;
    async function* source() {
      yield { do: 'sleep', pidFile };
      await pool.whenAllIdle();
      sawFullPool = true;
      yield* [{ do: 'ok' }, { do: 'ok' }, { do: 'ok' }];
    }
    try {
      const s = await runBatch<Input>({
        task: fixture('isolation.mjs'),
        source: source(),
        workers: 2,
        chunkSize: 1,
        earlyChunks: 0,
        timeouts: { taskMs: 300, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100, terminateMs: 300 },
        logger: quiet,
        inspect: pool.inspect,
        onDeadLetter: box.onDeadLetter,
        onEvent: (e) => {
          if (e.type === 'worker.stuck') stuck.push(e.slot);
        },
      });
      expect(sawFullPool).toBe(true);
      expect(box.letters[0]).toMatchObject({ key: '0', reason: 'timeout' });
      expect(box.letters[0]?.error.message).toMatch(/budget of 300 ms/);
      expect(stuck).toHaveLength(1); // the event…
      expect(s.stuckThreads).toBe(1); // …and the count in the summary
      expect(s.succeeded).toBe(3);
      // the run is over while the stuck thread still sits in its native call
      expect(liveThreadCount()).toBe(1);
      const sleepPid = readPid(pidFile);
      expect(sleepPid).toBeTypeOf('number');
      expect(isAlive(sleepPid as number)).toBe(true);
      // ending the call frees the thread: it exits, as it was told to long ago
      process.kill(sleepPid as number, 'SIGKILL');
      await whenThreadsExited();
      expectAccounted(s, box.letters, 4);
    } finally {
      // never leave a `sleep 1000` behind: the test process could not exit while the thread waits for it
      const pid = readPid(pidFile);
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (pid !== undefined) await allDead([pid]);
    }
  });

  it('a heap that grows without bound stops at maxMemoryMb (the heap limit): crash with ERR_WARDEN_WORKER_MEMORY', async () => {
    const box = letterBox<Input>();
    const s = await runBatch<Input>({
      task: fixture('isolation.mjs'),
      source: [{ do: 'leak-heap' }, { do: 'ok' }],
      workers: 1,
      maxMemoryMb: 128,
      timeouts: { taskMs: 20_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]).toMatchObject({ key: '0', reason: 'crash' });
    expect(box.letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_MEMORY');
    expect(s.succeeded).toBe(1);
    expectAccounted(s, box.letters, 2);
  });
});
