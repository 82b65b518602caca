import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeadLetterReason } from '../../src/machines/deadLetterReason.js';
import type { DeadLetter } from '../../src/runtime/deadLetter.js';

/** A fresh temp dir with a db path in it; `cleanup()` removes it. */
export function tempDb(): { dir: string; path: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'warden-store-'));
  return { dir, path: join(dir, 'warden.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function letter(i: number, input: unknown = { n: i }, reason: DeadLetterReason = 'error'): DeadLetter {
  return {
    key: `k${i}`,
    index: i,
    input,
    reason,
    error: { name: 'Error', message: `boom ${i}`, code: i % 2 ? 'ECONNRESET' : 42, stack: `Error: boom ${i}\n    at x` },
    attempts: 3,
    firstFailedAt: new Date(1_700_000_000_000 + i),
    lastFailedAt: new Date(1_700_000_001_000 + i),
  };
}
