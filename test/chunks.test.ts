import { describe, expect, it } from 'vitest';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, quiet } from './helpers.js';

// Chunk 0 is fine. Chunk 1 runs on one worker: its first task hangs and times out at 700 ms;
// the second hangs too, and the chunk's 1000 ms budget runs out while it is in flight, with
// the third still queued behind it.
function inputs() {
  return [
    { do: 'ok' }, { do: 'ok' }, { do: 'ok' },
    { do: 'never' }, { do: 'never' }, { do: 'ok' },
    { do: 'ok' }, { do: 'ok' }, { do: 'ok' },
  ];
}
const timeouts = { taskMs: 700, chunkMs: 1_000, batchMs: 30_000, killGraceMs: 100 };

describe('a chunk that times out', () => {
  it('outside the early chunks: its in-flight tasks are killed, the rest chunk-timeout, the next chunk runs', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: inputs(),
      workers: 1,
      chunkSize: 3,
      earlyChunks: 1,
      timeouts,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('partial');
    expect(s.chunks).toEqual({ completed: 2, failed: 1 });
    const chunk1 = box.letters.map((l) => [l.key, l.reason]).sort();
    expect(chunk1).toEqual([
      ['3', 'timeout'],
      ['4', 'chunk-timeout'],
      ['5', 'chunk-timeout'],
    ]);
    expect(s.succeeded).toBe(6);
    expectAccounted(s, box.letters, 9);
  });

  it('among the early chunks: the batch aborts and every remaining task is dead-lettered', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: inputs(),
      workers: 1,
      chunkSize: 3,
      earlyChunks: 3,
      timeouts,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('failed');
    expect(s.reason).toBe('early-chunk-failed');
    expect(s.byReason.timeout).toBe(1);
    expect(s.byReason['chunk-timeout']).toBe(2);
    expect(s.byReason.aborted).toBe(3);
    expect(s.succeeded).toBe(3);
    expectAccounted(s, box.letters, 9);
  });

  it('a chunk whose tasks all fail counts as failed (chunkFailureRatio)', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [{ do: 'throw' }, { do: 'throw' }, { do: 'ok' }, { do: 'throw' }],
      workers: 1,
      chunkSize: 2,
      earlyChunks: 1,
      chunkFailureRatio: 1,
      timeouts,
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.reason).toBe('early-chunk-failed');
    expect(s.byReason.error).toBe(2);
    expect(s.byReason.aborted).toBe(2);
    expectAccounted(s, box.letters, 4);
  });
});

describe('chunk.ended', () => {
  it('comes after every dead letter of its chunk was handed to onDeadLetter, also when a failure is the last task of the chunk to end', async () => {
    // one worker, so each chunk's tasks end in order: the failure is the last one of chunks 0 and 2
    const source = [{ do: 'ok' }, { do: 'throw' }, { do: 'throw' }, { do: 'ok' }, { do: 'ok' }, { do: 'throw' }];
    const letters: string[] = [];
    const seenAtEnd: Array<{ index: number; letters: string[] }> = [];
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source,
      workers: 1,
      chunkSize: 2,
      logger: quiet,
      onDeadLetter: (l) => letters.push(l.key),
      onEvent: (e) => {
        if (e.type === 'chunk.ended') seenAtEnd.push({ index: e.index, letters: [...letters] });
      },
    });
    expect(s.deadLettered).toBe(3);
    expect(seenAtEnd).toEqual([
      { index: 0, letters: ['1'] },
      { index: 1, letters: ['1', '2'] },
      { index: 2, letters: ['1', '2', '5'] },
    ]);
  });
});

describe('the error a letter carries', () => {
  it("has the task's own stack when the task threw, and none when Warden raised it (a timeout, a stop)", async () => {
    const box = letterBox();
    await runBatch({
      task: fixture('behave.mjs'),
      // the second times out at 200 ms; the chunk's 300 ms end before the third can
      source: [{ do: 'throw' }, { do: 'never' }, { do: 'never' }],
      workers: 1,
      chunkSize: 3,
      timeouts: { taskMs: 200, chunkMs: 300, killGraceMs: 50 },
      retry: { attempts: 1 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    const by = Object.fromEntries(box.letters.map((l) => [l.reason, l.error]));
    expect(Object.keys(by).sort()).toEqual(['chunk-timeout', 'error', 'timeout']);
    expect(by['error']?.stack).toMatch(/^Error: bad data\n\s+at .*behave\.mjs/);
    expect(by['timeout']).toEqual({ name: 'TaskTimeoutError', message: 'the task ran past its budget of 200 ms', code: 'ERR_WARDEN_TASK_TIMEOUT' });
    expect(by['chunk-timeout']).toMatchObject({ name: 'ChunkTimeoutError', code: 'ERR_WARDEN_CHUNK_TIMEOUT' });
    expect(by['chunk-timeout']).not.toHaveProperty('stack');
  });
});
