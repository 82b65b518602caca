import { describe, expect, it } from 'vitest';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, poolWatcher, quiet } from './helpers.js';

const ok = (n: number) => Array.from({ length: n }, () => ({ do: 'ok' }));

describe('a hung task is killed, dead-lettered, and the batch goes on', () => {
  for (const hang of ['spin', 'atomics-wait', 'never'] as const) {
    it(`${hang}: ends at its budget, retried per policy, then dead-lettered timeout; the pool returns to size`, async () => {
      const box = letterBox<{ do: string }>();
      const pool = poolWatcher(3); // 2 workers + 1 spare
      let sawFullPool = false;
      async function* source() {
        yield* ok(3);
        yield { do: hang };
        yield* ok(3);
        // Handshake, no sleep: the rest is read only once every slot is back to idle.
        await pool.whenAllIdle();
        sawFullPool = true;
        yield* ok(5);
      }
      const s = await runBatch({
        task: fixture('behave.mjs'),
        source: source(),
        workers: 2,
        chunkSize: 100,
        retry: { attempts: 2, backoff: { initialMs: 10, factor: 1, maxMs: 10 } },
        timeouts: { taskMs: 300, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
        logger: quiet,
        inspect: pool.inspect,
        onDeadLetter: box.onDeadLetter,
      });
      expect(sawFullPool).toBe(true);
      expect(s.status).toBe('partial');
      expect(s.succeeded).toBe(11);
      expect(s.byReason.timeout).toBe(1);
      expect(box.letters[0]).toMatchObject({ key: '3', reason: 'timeout', attempts: 2 });
      expect(box.letters[0]?.error.code).toBe('ERR_WARDEN_TASK_TIMEOUT');
      expect(s.workerRestarts).toBeGreaterThanOrEqual(1);
      expectAccounted(s, box.letters, 12);
    });
  }

  it('a task awaiting forever is caught by the missing heartbeat, before its deadline', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'never' }, { do: 'ok' }],
      workers: 1,
      timeouts: { taskMs: 20_000, heartbeatMs: 200, chunkMs: 30_000, batchMs: 60_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]?.reason).toBe('timeout');
    expect(box.letters[0]?.error.message).toMatch(/no heartbeat for 200 ms/);
    expect(s.succeeded).toBe(1);
    expectAccounted(s, box.letters, 2);
  });

  it('a task that heartbeats but never settles still ends at its deadline', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'never-heartbeat' }],
      workers: 1,
      timeouts: { taskMs: 400, heartbeatMs: 100, chunkMs: 30_000, batchMs: 60_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]?.error.message).toMatch(/budget of 400 ms/);
    expectAccounted(s, box.letters, 1);
  });

  it('a blocked event loop is caught by the ping, before the deadline', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'spin' }, { do: 'ok' }],
      workers: 1,
      timeouts: { taskMs: 20_000, pingMs: 150, chunkMs: 30_000, batchMs: 60_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]?.error.message).toMatch(/did not answer a ping within 150 ms/);
    expect(s.succeeded).toBe(1);
    expectAccounted(s, box.letters, 2);
  });

  it('a task that honours its abort signal frees its worker without a kill', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'abortable' }, { do: 'ok' }],
      workers: 1,
      spareWorkers: 0,
      timeouts: { taskMs: 200, chunkMs: 30_000, batchMs: 60_000, killGraceMs: 10_000 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]?.reason).toBe('timeout');
    expect(s.workerRestarts).toBe(0);
    expect(s.succeeded).toBe(1);
    expectAccounted(s, box.letters, 2);
  });
});
