import { OptionError } from '../errors/OptionError.js';

/** Node fires a longer timer after 1 ms: no budget may exceed it. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** A budget in ms: a finite number > 0 and ≤ 2^31−1. */
export function positiveMs(field: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new OptionError(field, `must be a positive number of milliseconds (got ${describe(value)})`, `pass for example ${example}`);
  }
  if (value > MAX_DELAY_MS) {
    throw new OptionError(field, `is longer than ${MAX_DELAY_MS} ms (about 24.8 days; got ${value})`, 'use a shorter budget');
  }
  return value;
}

/** A delay in ms that may be 0. */
export function nonNegativeMs(field: string, value: unknown, example: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_DELAY_MS) {
    throw new OptionError(field, `must be a number of milliseconds from 0 to ${MAX_DELAY_MS} (got ${describe(value)})`, `pass for example ${example}`);
  }
  return value;
}

/** A whole number ≥ min. */
export function integerAtLeast(field: string, value: unknown, min: number, example: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new OptionError(field, `must be a whole number ≥ ${min} (got ${describe(value)})`, `pass for example ${example}`);
  }
  return value;
}

/** A number in (0, 1]. */
export function ratio(field: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new OptionError(field, `must be a number in (0, 1] (got ${describe(value)})`, 'pass for example 0.5');
  }
  return value;
}

/** A number ≥ 1. */
export function factor(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 1) {
    throw new OptionError(field, `must be a number ≥ 1 (got ${describe(value)})`, 'pass for example 2');
  }
  return value;
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
