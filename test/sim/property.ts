import fc from 'fast-check';
import { expect, it } from 'vitest';
import { simulate } from './harness.js';
import { assertInvariants } from './invariants.js';
import { scheduleArb, type ScheduleShape } from './schedule.js';

/** Schedules per property file: four files make the 10,000 (SIM_RUNS overrides, e.g. for a long soak). */
export const RUNS = Number(process.env['SIM_RUNS'] ?? 2500);

/**
 * Registers one property: `RUNS` seeded schedules of `shape`, each simulated to its end
 * and checked against every invariant. The seed is fixed per file (SIM_SEED overrides):
 * CI runs the same schedules every time; a failure prints the seed, the path and the
 * shrunk schedule, which then goes into regressions.test.ts.
 */
export function simProperty(name: string, shape: ScheduleShape, seed: number): void {
  it(
    `${name}: ${RUNS} random schedules keep every invariant`,
    async () => {
      const s = Number(process.env['SIM_SEED'] ?? seed);
      await fc.assert(
        fc.asyncProperty(scheduleArb(shape), async (schedule) => {
          assertInvariants(await simulate(schedule));
        }),
        { seed: s, numRuns: RUNS },
      );
      expect(RUNS).toBeGreaterThan(0);
    },
    // generous: about 25 ms per schedule on one core; a hang fails inside its simulated time cap
    RUNS * 200 + 60_000,
  );
}
