import { InvalidArgumentError } from 'commander';
import { DEAD_LETTER_REASONS, type DeadLetterReason } from '../machines/deadLetterReason.js';

// Flag value parsers. Commander prints the flag with the message: "option '--limit <n>' argument 'x' is invalid. <message>".

/** An integer from `min` to `max`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`Pass an integer from ${min} to ${max}.`);
    }
    return n;
  };
}

/** One dead-letter id. */
export function letterId(value: string): number {
  if (!/^\d{1,15}$/.test(value.trim()) || Number(value) < 1) throw new InvalidArgumentError('Pass a dead-letter id, a positive integer (see `warden dlq list`).');
  return Number(value);
}

/** Dead-letter ids: `3`, `1,2,7` (positive integers, comma-separated). */
export function idList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.some((p) => !/^\d{1,15}$/.test(p) || Number(p) < 1)) {
    throw new InvalidArgumentError('Pass dead-letter ids as positive integers separated by commas, e.g. --ids 3,4,9 (see `warden dlq list`).');
  }
  return [...new Set(parts.map(Number))];
}

/** A dead-letter reason. */
export function reasonValue(value: string): DeadLetterReason {
  if (!(DEAD_LETTER_REASONS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`Pass one of: ${DEAD_LETTER_REASONS.join(', ')}.`);
  }
  return value as DeadLetterReason;
}

/** A time: an ISO date or date-time (`2025-01-31`, `2025-01-31T02:00:00Z`), or an age such as `7d`, `12h`, `30m`. */
export function timeValue(value: string, now = Date.now()): Date {
  const age = /^(\d+)(d|h|m)$/.exec(value.trim());
  if (age) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[age[2] as 'd' | 'h' | 'm'];
    return new Date(now - Number(age[1]) * unit);
  }
  const d = /^\d{4}-\d{2}-\d{2}/.test(value) ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('Pass an ISO date (2025-01-31, 2025-01-31T02:00:00Z) or an age (7d, 12h, 30m).');
  return d;
}
