import { describe, expect, it } from 'vitest';
import type { BatchEvent } from '../src/runtime/batchEvent.js';
import { runBatch } from '../src/runtime/runBatch.js';
import { expectAccounted, fixture, letterBox, quiet } from './helpers.js';

const dbDown = { do: 'throw', message: 'connect ECONNREFUSED 127.0.0.1:5432', code: 'ECONNREFUSED' };

describe('the circuit breaker', () => {
  it('five consecutive trip errors open the circuit: the batch stops at once, the rest are circuit-open', async () => {
    const box = letterBox();
    const events: BatchEvent[] = [];
    const inputs = [{ do: 'ok' }, ...Array.from({ length: 5 }, () => dbDown), ...Array.from({ length: 20 }, () => ({ do: 'ok' }))];
    const s = await runBatch({
      onEvent: (e) => void events.push(e),
      task: fixture('behave.mjs'),
      source: inputs,
      workers: 1,
      chunkSize: 10,
      earlyChunks: 0,
      circuit: { threshold: 5, cooldownMs: 60_000 },
      timeouts: { taskMs: 5_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('aborted');
    expect(s.reason).toBe('circuit-open');
    expect(s.succeeded).toBe(1);
    expect(s.byReason.error).toBe(5);
    expect(s.byReason['circuit-open']).toBe(20);
    expect(box.letters.filter((l) => l.reason === 'circuit-open').every((l) => l.error.code === 'ERR_WARDEN_CIRCUIT_OPEN')).toBe(true);
    expect(events.filter((e) => e.type === 'circuit.opened')).toEqual([{ type: 'circuit.opened', failures: 5 }]);
    expectAccounted(s, box.letters, 26);
  });

  it('a success resets the count; errors that do not trip never open it', async () => {
    const box = letterBox();
    const inputs = [
      ...Array.from({ length: 4 }, () => dbDown),
      { do: 'ok' },
      ...Array.from({ length: 4 }, () => dbDown),
      ...Array.from({ length: 6 }, () => ({ do: 'throw', message: 'bad row' })),
    ];
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: inputs,
      workers: 1,
      chunkSize: 100,
      circuit: { threshold: 5 },
      timeouts: { taskMs: 5_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.status).toBe('partial');
    expect(s.byReason['circuit-open']).toBe(0);
    expect(s.byReason.error).toBe(14);
    expectAccounted(s, box.letters, 15);
  });

  it('a custom trips predicate decides what counts', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [...Array.from({ length: 3 }, () => ({ do: 'throw', message: 'pool exhausted' })), { do: 'ok' }],
      workers: 1,
      circuit: { threshold: 3, trips: (e) => e.message.includes('pool exhausted') },
      timeouts: { taskMs: 5_000, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 100 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.reason).toBe('circuit-open');
    expect(s.byReason['circuit-open']).toBe(1);
    expectAccounted(s, box.letters, 4);
  });
});

describe('a dependency that hangs', () => {
  it('consecutive timeouts open the circuit by default (the dead connection of the postmortem)', async () => {
    const box = letterBox();
    const s = await runBatch({
      task: fixture('behave.mjs'),
      source: [...Array.from({ length: 3 }, () => ({ do: 'never' })), ...Array.from({ length: 10 }, () => ({ do: 'ok' }))],
      workers: 1,
      chunkSize: 100,
      circuit: { threshold: 3 },
      timeouts: { taskMs: 150, chunkMs: 20_000, batchMs: 30_000, killGraceMs: 50 },
      logger: quiet,
      onDeadLetter: box.onDeadLetter,
    });
    expect(s.reason).toBe('circuit-open');
    expect(s.byReason.timeout).toBe(3);
    expect(s.byReason['circuit-open']).toBe(10);
    expectAccounted(s, box.letters, 13);
  });
});
