import { readFileSync } from 'node:fs';
import { onProcessSpawned } from '../src/actors/processRegistry.js';

/** True while `pid` is a live process (a zombie waiting to be reaped counts as dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no /proc: kill(pid, 0) said it is there
  }
}

/** Resolves true once `check()` holds, or false after `boundMs` (polled every 20 ms: a bounded handshake). */
export async function until(check: () => boolean, boundMs = 5_000): Promise<boolean> {
  const end = Date.now() + boundMs;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Resolves true once none of `pids` is alive, or false after `boundMs` (a bound, not a
 * wait for the outcome: dead processes end the loop at once).
 */
export function allDead(pids: Iterable<number>, boundMs = 5_000): Promise<boolean> {
  const list = [...pids];
  return until(() => !list.some(isAlive), boundMs);
}

/** Collects the pid of every worker process spawned while it listens. */
export function pidRecorder() {
  const pids = new Set<number>();
  const stop = onProcessSpawned((pid) => pids.add(pid));
  return { pids, stop };
}

/** A pid written to a file by a fixture, or undefined when the file is not there. */
export function readPid(file: string): number | undefined {
  try {
    const n = Number.parseInt(readFileSync(file, 'utf8'), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
