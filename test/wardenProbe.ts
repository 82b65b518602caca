import { expect } from 'vitest';
import type { InspectionEvent } from 'xstate';
import type { BatchSummary } from '../src/runtime/batchSummary.js';
import type { Warden } from '../src/runtime/createWarden.js';
import type { WardenEvents } from '../src/runtime/wardenEvents.js';

type Seen = { [K in keyof WardenEvents]: { type: K; event: WardenEvents[K] } }[keyof WardenEvents];

const TYPES: Array<keyof WardenEvents> = [
  'run.started',
  'run.finished',
  'run.failed',
  'run.skipped',
  'run.missed',
  'run.timeout',
  'run.released',
  'task.deadLettered',
  'worker.restarted',
  'worker.stuck',
  'circuit.opened',
  'circuit.closed',
  'chunk.ended',
];

/** Every task read is accounted for once: succeeded, dead-lettered (by reason) or pending. */
export function expectCountsAddUp(s: Pick<BatchSummary, 'total' | 'succeeded' | 'deadLettered' | 'pending' | 'byReason'>, total: number): void {
  expect(s.total).toBe(total);
  expect(s.succeeded + s.deadLettered + s.pending).toBe(total);
  expect(Object.values(s.byReason).reduce((a, b) => a + b, 0)).toBe(s.deadLettered);
}

/** Records every warden event in order; `next(type)` resolves at the next one of that type not yet taken. */
export function eventLog(warden: Warden) {
  const all: Seen[] = [];
  const taken = new Map<string, number>();
  let waiters: Array<() => void> = [];
  for (const type of TYPES) {
    warden.on(type, (event) => {
      all.push({ type, event } as Seen);
      const w = waiters;
      waiters = [];
      for (const f of w) f();
    });
  }
  const of = <K extends keyof WardenEvents>(type: K): Array<WardenEvents[K]> =>
    all.filter((s) => s.type === type).map((s) => s.event as WardenEvents[K]);
  return {
    all,
    of,
    next<K extends keyof WardenEvents>(type: K): Promise<WardenEvents[K]> {
      const i = taken.get(type) ?? 0;
      taken.set(type, i + 1);
      return new Promise((resolve) => {
        const check = () => {
          const list = of(type);
          if (list.length > i) resolve(list[i] as WardenEvents[K]);
          else waiters.push(check);
        };
        check();
      });
    },
  };
}

/** Resolves once `n` worker slots are busy at the same time (seen through XState inspection). */
export function busyWatcher() {
  const busy = new Set<unknown>();
  let waiters: Array<{ n: number; resolve: () => void }> = [];
  return {
    inspect(e: InspectionEvent) {
      if (e.type !== '@xstate.snapshot') return;
      const id = (e.actorRef as { id?: string }).id ?? '';
      if (!id.startsWith('worker-')) return;
      const value = JSON.stringify((e.snapshot as { value?: unknown }).value);
      if (value.includes('"busy"')) busy.add(e.actorRef);
      else busy.delete(e.actorRef);
      waiters = waiters.filter((w) => (busy.size >= w.n ? (w.resolve(), false) : true));
    },
    whenBusy(n: number): Promise<void> {
      return new Promise((resolve) => {
        if (busy.size >= n) resolve();
        else waiters.push({ n, resolve });
      });
    },
  };
}
