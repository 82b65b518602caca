import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { dueFires, nextFire, type FireRule } from '../src/runtime/nextFire.js';

const cron = (pattern: string, timezone: string): FireRule => ({ kind: 'cron', cron: new Cron(pattern, { timezone, paused: true }) });
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());
const fires = (rule: FireRule, from: string, n: number): Array<string | undefined> => {
  const out: Array<string | undefined> = [];
  let t: number | undefined = Date.parse(from);
  for (let i = 0; i < n && t !== undefined; i++) out.push(iso((t = nextFire(rule, t))));
  return out;
};

describe('nextFire', () => {
  it('daily 02:30 in Berlin across the spring-forward gap: 02:30 does not exist, fires once at 03:00 CEST', () => {
    expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-03-28T12:00:00Z', 3)).toEqual([
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: the gap's first valid minute
      '2026-03-30T00:30:00.000Z', // 02:30 CEST
      '2026-03-31T00:30:00.000Z',
    ]);
  });

  it('daily 02:30 in Berlin across the fall-back overlap: 02:30 happens twice, fires once', () => {
    expect(fires(cron('30 2 * * *', 'Europe/Berlin'), '2026-10-24T12:00:00Z', 3)).toEqual([
      '2026-10-25T00:30:00.000Z', // 02:30 CEST (the first 02:30)
      '2026-10-26T01:30:00.000Z', // 02:30 CET
      '2026-10-27T01:30:00.000Z',
    ]);
  });

  it("hourly in Berlin keeps one real hour between fires through the fall-back night", () => {
    expect(fires(cron('0 * * * *', 'Europe/Berlin'), '2026-10-24T23:30:00Z', 4)).toEqual([
      '2026-10-25T00:00:00.000Z',
      '2026-10-25T01:00:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T03:00:00.000Z',
    ]);
  });

  it("the postmortem's yearly cron in Seoul: 02:00 KST on 1 January, a year ahead", () => {
    expect(fires(cron('0 2 1 1 *', 'Asia/Seoul'), '2026-01-02T00:00:00Z', 2)).toEqual(['2026-12-31T17:00:00.000Z', '2027-12-31T17:00:00.000Z']);
  });

  it('everyMs counts from its anchor; at fires once', () => {
    const every: FireRule = { kind: 'every', everyMs: 10, anchor: 5 };
    expect([nextFire(every, 0), nextFire(every, 5), nextFire(every, 14), nextFire(every, 15)]).toEqual([15, 15, 15, 25]);
    const at: FireRule = { kind: 'at', at: 100 };
    expect([nextFire(at, 99), nextFire(at, 100)]).toEqual([100, undefined]);
  });

  it('dueFires lists the fires missed by now and the next one', () => {
    const every: FireRule = { kind: 'every', everyMs: 10, anchor: 0 };
    expect(dueFires(every, 10, 55)).toEqual({ scheduled: [10, 20, 30, 40, 50], next: 60 });
    expect(dueFires(every, 10, 55, 2)).toEqual({ scheduled: [10, 20], next: 60 });
  });
});
