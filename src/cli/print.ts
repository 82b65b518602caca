import { toJson } from './toJson.js';

/** Writes lines to stdout. */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stdout.write(`${lines.join('\n')}\n`);
}

/** Writes one JSON document to stdout (`--json`). */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}
