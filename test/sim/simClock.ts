import type { WardenClock } from '../../src/runtime/clock.js';

interface Timer {
  id: number;
  dueAt: number;
  fn: () => void;
  /** Armed by the simulation itself (a simulated thread), not by the code under test. */
  sim: boolean;
}

/**
 * The simulation's one clock, for the scheduler, the runs and the simulated workers.
 *
 * Unlike xstate's SimulatedClock (whose `increment` fires every due timer at the new now),
 * `advance()` moves to the earliest pending timer and fires the timers due at that very
 * instant, in due order then arming order, with `now()` equal to their due time: timers
 * fire on time unless the host stalls. A timer armed with delay 0 while firing runs in
 * the same instant, after the ones already due (as a macrotask would).
 *
 * Two host faults:
 * - `stall(ms)`: the host's event loop is blocked for `ms`; the timers due meanwhile fire
 *   late, all at the end of the stall (what a busy or suspended host does).
 * - `jumpWall(ms)`: the wall clock (`now()`) jumps by `ms` (forward or back) while
 *   timers keep their monotonic delays (what an NTP step does to `Date.now()`).
 */
export class SimClock implements WardenClock {
  /** Monotonic time (ms since the start of the simulation). */
  mono = 0;
  /** Wall offset: `now() = mono + wall`. */
  wall = 0;
  private nextId = 1;
  private timers: Timer[] = [];
  private sorted = true;

  now(): number {
    return this.mono + this.wall;
  }

  /** What budgets and durations read (as `systemClock.monotonic`): wall jumps do not move it. */
  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: (...args: any[]) => void, timeout: number): number {
    return this.arm(fn, timeout, false);
  }

  /** A timer of the simulation itself (not counted by `pendingOfCode`). */
  simTimeout(fn: () => void, timeout: number): number {
    return this.arm(fn, timeout, true);
  }

  private arm(fn: (...args: any[]) => void, timeout: number, sim: boolean): number {
    const id = this.nextId++;
    const ms = Number.isFinite(timeout) && timeout > 0 ? timeout : 0;
    this.timers.push({ id, dueAt: this.mono + ms, fn: fn as () => void, sim });
    this.sorted = false;
    return id;
  }

  clearTimeout(id: unknown): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Pending timers armed by the code under test. */
  pendingOfCode(): number {
    return this.timers.filter((t) => !t.sim).length;
  }

  /** Monotonic time of the earliest pending timer. */
  nextDue(): number | undefined {
    this.sort();
    return this.timers[0]?.dueAt;
  }

  /** Moves to the earliest pending timer's due time and fires every timer due then (zero-delay ones armed meanwhile too). */
  advance(): void {
    const due = this.nextDue();
    if (due === undefined) return;
    if (due > this.mono) this.mono = due;
    this.fireDue();
  }

  /** The host is blocked for `ms`: time passes, then every timer due meanwhile fires, late, in due order. */
  stall(ms: number): void {
    this.mono += ms;
    this.fireDue();
  }

  /** The wall clock jumps by `ms`; timers are not affected. */
  jumpWall(ms: number): void {
    this.wall += ms;
  }

  private fireDue(): void {
    for (;;) {
      this.sort();
      const t = this.timers[0];
      if (!t || t.dueAt > this.mono) return;
      this.timers.shift();
      t.fn();
    }
  }

  private sort(): void {
    if (this.sorted) return;
    // stable: equal due times keep their arming order
    this.timers.sort((a, b) => a.dueAt - b.dueAt || a.id - b.id);
    this.sorted = true;
  }
}
