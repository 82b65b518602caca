import { Cron } from 'croner';

/** A trigger ready for computing fire times (see `resolveTrigger` in resolveJob.ts). */
export type FireRule =
  | { kind: 'cron'; cron: Cron }
  | { kind: 'every'; everyMs: number; anchor: number }
  | { kind: 'at'; at: number };

/**
 * The first fire time strictly after `afterMs` (clock ms), or undefined when the trigger
 * fires no more. Pure (croner computes cron times, with time zones and DST).
 */
export function nextFire(rule: FireRule, afterMs: number): number | undefined {
  switch (rule.kind) {
    case 'cron':
      return rule.cron.nextRun(new Date(afterMs))?.getTime() ?? undefined;
    case 'every': {
      const k = Math.floor((afterMs - rule.anchor) / rule.everyMs) + 1;
      return rule.anchor + Math.max(1, k) * rule.everyMs;
    }
    case 'at':
      return rule.at > afterMs ? rule.at : undefined;
  }
}

/** How many fire times `dueFires` lists at most by default. */
export const DUE_FIRES_LIMIT = 1000;

/** Fire times due by `now`, from `first` on (at most `limit`), and the next one after `now`. */
export function dueFires(rule: FireRule, first: number, now: number, limit = DUE_FIRES_LIMIT): { scheduled: number[]; next: number | undefined } {
  const scheduled: number[] = [];
  let t: number | undefined = first;
  while (t !== undefined && t <= now && scheduled.length < limit) {
    scheduled.push(t);
    t = nextFire(rule, t);
  }
  if (t !== undefined && t <= now) t = nextFire(rule, now);
  return { scheduled, next: t };
}
