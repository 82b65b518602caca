import pino from 'pino';
import { expect } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { liveThreadCount } from '../src/actors/liveThreads.js';
import type { BatchSummary } from '../src/runtime/batchSummary.js';
import type { DeadLetter } from '../src/runtime/deadLetter.js';

export const quiet = pino({ level: 'silent' });

/** URL of a fixture task module in test/fixtures. */
export function fixture(name: string): URL {
  return new URL(`./fixtures/${name}`, import.meta.url);
}

/** Collects dead letters as they happen. */
export function letterBox<I = unknown>() {
  const letters: DeadLetter<I>[] = [];
  return { letters, onDeadLetter: (l: DeadLetter<I>) => void letters.push(l) };
}

/** Invariant 3 and 7: every task accounted for exactly once, and no thread left alive. */
export function expectAccounted(s: BatchSummary, letters: DeadLetter[], total: number): void {
  expect(s.total).toBe(total);
  expect(s.succeeded + s.deadLettered + s.pending).toBe(s.total);
  expect(letters.length).toBe(s.deadLettered);
  const keys = letters.map((l) => l.key);
  expect(new Set(keys).size).toBe(keys.length);
  const byReason = Object.values(s.byReason).reduce((a, b) => a + b, 0);
  expect(byReason).toBe(s.deadLettered);
  expect(liveThreadCount()).toBe(0);
}

/**
 * Watches the worker slot machines through XState inspection and resolves `whenAllIdle`
 * once every one of `threads` slots is back in `alive.idle` (the pool at its full size).
 */
export function poolWatcher(threads: number) {
  const states = new Map<string, unknown>();
  let waiters: Array<() => void> = [];
  const check = () => {
    let idle = 0;
    for (const v of states.values()) if (JSON.stringify(v) === JSON.stringify({ alive: 'idle' })) idle++;
    if (idle === threads) {
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    }
  };
  return {
    inspect(e: InspectionEvent) {
      if (e.type !== '@xstate.snapshot') return;
      const id = (e.actorRef as { id?: string }).id ?? '';
      if (!id.startsWith('worker-')) return;
      states.set(id, (e.snapshot as { value?: unknown }).value);
      check();
    },
    whenAllIdle(): Promise<void> {
      return new Promise((resolve) => {
        waiters.push(resolve);
        check();
      });
    },
  };
}
