import { describe, expect, it } from 'vitest';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, quiet } from './helpers.js';

// The hard bound the batch machine puts on its stopping phase (see BatchEngine: stopMs).
const stopBound = (t: { killGraceMs: number; terminateMs: number }) => t.killGraceMs + t.terminateMs * 2 + 1000;

function* mixed(n: number) {
  for (let i = 0; i < n; i++) yield i % 3 === 0 ? { do: 'spin' } : i % 3 === 1 ? { do: 'never' } : { do: 'ok' };
}

describe('the batch always ends', () => {
  it('at its batch budget: everything in flight is killed, the rest dead-lettered batch-timeout', async () => {
    const box = letterBox();
    const timeouts = { taskMs: 600, chunkMs: 600, batchMs: 600, killGraceMs: 100, terminateMs: 1_000 };
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: mixed(300),
      workers: 2,
      chunkSize: 50,
      timeouts,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('timedOut');
    expect(s.reason).toBe('batch-timeout');
    expect(s.byReason['batch-timeout']).toBe(300 - s.succeeded);
    expect(s.sourceExhausted).toBe(true);
    expect(s.durationMs).toBeLessThan(timeouts.batchMs + stopBound(timeouts));
    expectAccounted(s, box.letters, 300);
  });

  it('on the caller abort: in-flight tasks are stopped, the rest dead-lettered aborted', async () => {
    const box = letterBox();
    const controller = new AbortController();
    let started = 0;
    async function* source() {
      for (let i = 0; i < 50; i++) {
        // abort once the first chunk is under way (a handshake on the reads, not a sleep)
        if (++started === 3) queueMicrotask(() => controller.abort());
        yield { do: 'never' };
      }
    }
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: source(),
      workers: 2,
      chunkSize: 10,
      signal: controller.signal,
      timeouts: { taskMs: 20_000, chunkMs: 20_000, batchMs: 60_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('aborted');
    expect(s.reason).toBe('aborted');
    expect(s.byReason.aborted).toBe(50);
    expectAccounted(s, box.letters, 50);
  });

  it('an already-aborted signal runs nothing and dead-letters everything', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'ok' }, { do: 'ok' }],
      signal: AbortSignal.abort(),
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('aborted');
    expect(s.succeeded).toBe(0);
    expectAccounted(s, box.letters, 2);
  });

  it('an async source that never yields again is cut off after the kill grace', async () => {
    const box = letterBox();
    async function* stuckSource() {
      yield { do: 'ok' };
      await new Promise(() => {}); // a source waiting on a dead connection
    }
    const timeouts = { taskMs: 500, chunkMs: 500, batchMs: 800, killGraceMs: 100, terminateMs: 1_000 };
    const s = await runBatch({ task: fixture('behave.mjs'), source: stuckSource(), workers: 1, timeouts, logger: quiet, onDeadLetter: box.onDeadLetter });
    expect(s.status).toBe('timedOut');
    expect(s.sourceExhausted).toBe(false);
    // the one input read was waiting for its chunk to fill: it is accounted for, not lost
    expect(s.byReason['batch-timeout']).toBe(1);
    expect(s.durationMs).toBeLessThan(timeouts.batchMs + stopBound(timeouts));
    expectAccounted(s, box.letters, 1);
  });

  it('a source that throws fails the batch with source-error; what was read is accounted for', async () => {
    const box = letterBox();
    function* broken() {
      yield { do: 'ok' };
      yield { do: 'ok' };
      throw new Error('cursor closed');
    }
    const s = await runBatch({ task: fixture('behave.mjs'), source: broken(), workers: 1, chunkSize: 10, logger: quiet, onDeadLetter: box.onDeadLetter });
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('source-error');
    expect(s.byReason.aborted).toBe(2);
    expectAccounted(s, box.letters, 2);
  });
});
