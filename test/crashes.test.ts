import { describe, expect, it } from 'vitest';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, poolWatcher, quiet } from './helpers.js';

const budgets = { taskMs: 5_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 };

describe('a worker that crashes is replaced', () => {
  for (const crash of ['exit', 'uncaught'] as const) {
    it(`${crash}: the task is dead-lettered crash, the slot gets a new thread, the batch goes on`, async () => {
      const box = letterBox();
      const restarted: number[] = [];
      const pool = poolWatcher(2);
      let sawFullPool = false;
      async function* source() {
        yield { do: 'ok' };
        yield { do: crash };
        await pool.whenAllIdle();
        sawFullPool = true;
        yield { do: 'ok' };
        yield { do: 'ok' };
      }
      const s = await runBatch({
        task: fixture('behave.mjs'),
        source: source(),
        workers: 1,
        timeouts: budgets,
        logger: quiet,
        inspect: pool.inspect,
        onDeadLetter: box.onDeadLetter,
        onEvent: (e) => {
          if (e.type === 'worker.restarted') restarted.push(e.slot);
        },
      });
      expect(sawFullPool).toBe(true);
      expect(restarted).toHaveLength(1);
      expect(box.letters).toHaveLength(1);
      expect(box.letters[0]).toMatchObject({ key: '1', reason: 'crash', attempts: 1 });
      expect(box.letters[0]?.error.code).toBe('ERR_WARDEN_WORKER_CRASH');
      if (crash === 'uncaught') expect(box.letters[0]?.error.message).toMatch(/uncaught in worker/);
      else expect(box.letters[0]?.error.message).toMatch(/exit code 3/);
      expect(s.workerRestarts).toBe(1);
      expect(s.succeeded).toBe(3);
      expectAccounted(s, box.letters, 4);
    });
  }

  it('a module that kills every worker at start-up escalates through restart intensity', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('crashAtStart.mjs'),
      source: ['a', 'b', 'c'],
      workers: 2,
      restarts: { intensity: 3, periodMs: 60_000, backoff: { initialMs: 1, factor: 2, maxMs: 20 } },
      timeouts: budgets,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('restart-intensity');
    // more than the intensity, and not an endless loop
    expect(s.workerRestarts).toBe(3);
    expect(s.byReason.aborted).toBe(3);
    expect(s.sourceExhausted).toBe(true);
    expectAccounted(s, box.letters, 3);
  });

  it('FatalError aborts the batch; UnrecoverableError is not retried', async () => {
    const box = letterBox<string>();
    const s = await runBatch({
      task: fixture('fatal.mjs'),
      source: ['ok', 'bad', 'ok', 'fatal', 'ok', 'ok'],
      workers: 1,
      chunkSize: 100,
      retry: { attempts: 3, backoff: { initialMs: 1, factor: 1, maxMs: 1 } },
      timeouts: budgets,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('fatal-error');
    const byKey = Object.fromEntries(box.letters.map((l) => [l.key, l]));
    expect(byKey['1']).toMatchObject({ reason: 'error', attempts: 1 });
    expect(byKey['1']?.error.name).toBe('UnrecoverableError');
    expect(byKey['3']).toMatchObject({ reason: 'error', attempts: 1 });
    expect(byKey['3']?.error.code).toBe('ERR_WARDEN_FATAL');
    expect(byKey['4']?.reason).toBe('aborted');
    expect(byKey['5']?.reason).toBe('aborted');
    expect(s.succeeded).toBe(2);
    expectAccounted(s, box.letters, 6);
  });

  it('an ordinary error is retried with backoff, then dead-lettered error', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'throw', message: 'row 7 is malformed' }, { do: 'ok' }],
      workers: 1,
      retry: { attempts: 3, backoff: { initialMs: 5, factor: 2, maxMs: 50 } },
      timeouts: budgets,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(box.letters[0]).toMatchObject({ reason: 'error', attempts: 3 });
    expect(box.letters[0]?.error.message).toBe('row 7 is malformed');
    expect(s.status).toBe('partial');
    expectAccounted(s, box.letters, 2);
  });
});
