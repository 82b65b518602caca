/** What a batch of due fire times comes to: the fires dropped as too late, and the runs to attempt. */
export interface FirePlan {
  /** Fires handled later than the grace after their scheduled time (`run.missed`). */
  missed: Array<{ slot: number; lateMs: number }>;
  /** Runs to start (or skip at maxInstances), in order; `coalesced` fires merged into each. */
  runs: Array<{ slot: number; coalesced: number }>;
}

/**
 * Pure fire policy. `scheduled` are the fire times due at `at` (several after the host
 * was busy, down or its clock jumped). A fire more than `graceMs` late is missed; the
 * rest run once (coalesce, as the latest of them) or each.
 */
export function planFire(scheduled: readonly number[], at: number, graceMs: number, coalesce: boolean): FirePlan {
  const sorted = [...scheduled].sort((a, b) => a - b);
  const missed: FirePlan['missed'] = [];
  const onTime: number[] = [];
  for (const slot of sorted) {
    if (at - slot > graceMs) missed.push({ slot, lateMs: at - slot });
    else onTime.push(slot);
  }
  const last = onTime[onTime.length - 1];
  const runs = coalesce
    ? last === undefined
      ? []
      : [{ slot: last, coalesced: onTime.length }]
    : onTime.map((slot) => ({ slot, coalesced: 1 }));
  return { missed, runs };
}
