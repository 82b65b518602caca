import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killHosts, spawnHost } from './hostProcess.js';
import { allDead, isAlive, readPid, until } from './isolationHelpers.js';

// No orphan processes, ever: a real host (test/fixtures/isolationHost.mjs, on the built
// package: npm test builds first) runs process workers whose tasks are blocked in
// execSync('sleep 1000'), so they cannot even see their IPC channel close. Whatever ends
// the host, every worker process and every `sleep` they started must be gone.
const HOST = fileURLToPath(new URL('./fixtures/isolationHost.mjs', import.meta.url));
const dirs: string[] = [];
const leftovers: number[] = [];

afterEach(() => {
  killHosts();
  for (const pid of leftovers.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function host(mode: 'sigkill' | 'sigterm' | 'crash') {
  const dir = mkdtempSync(join(tmpdir(), 'warden-host-'));
  dirs.push(dir);
  const h = spawnHost(HOST, [mode, dir]);
  const sleepPids = () => readdirSync(dir).map((f) => readPid(join(dir, f))).filter((p): p is number => p !== undefined);
  /** Every process the host's workers were or started: the worker pids it printed and the sleeps' pid files. */
  const pids = () => {
    const workers = h.lines.filter((l) => l.startsWith('pid ')).map((l) => Number(l.slice(4)));
    const sleeps = sleepPids();
    leftovers.push(...workers, ...sleeps);
    return { workers, sleeps };
  };
  return {
    ...h,
    pids,
    sleepPids,
    /** Resolves once a line equal to `want` has been printed (or the host exited). */
    line: (want: string): Promise<unknown> => h.line((l) => l === want).catch(() => undefined),
  };
}

describe('isolation: process, no orphans when the host goes', () => {
  for (const mode of ['sigkill', 'sigterm', 'crash'] as const) {
    const how = { sigkill: 'is killed with SIGKILL', sigterm: 'gets SIGTERM (handleSignals: close())', crash: 'crashes (an uncaught error)' }[mode];
    it(`the host ${how} while its workers are blocked in execSync: no worker process and no sleep is left`, async () => {
      const h = host(mode);
      await h.line('ready');
      expect(h.lines, h.stderr()).toContain('ready');
      // both sleeps have started (their pid files are written): the workers are blocked now
      expect(await until(() => h.sleepPids().length === 2)).toBe(true);
      h.child.kill(({ sigkill: 'SIGKILL', sigterm: 'SIGTERM', crash: 'SIGUSR2' } as const)[mode]);
      const { code, signal } = await h.exited;
      if (mode === 'sigkill') expect(signal).toBe('SIGKILL');
      if (mode === 'sigterm') {
        expect({ code, signal }, h.stderr()).toEqual({ code: 0, signal: null });
        expect(h.lines).toContain('{"event":"run.finished","status":"aborted"}');
      }
      if (mode === 'crash') {
        expect({ code, signal }).toEqual({ code: 1, signal: null });
        expect(h.stderr()).toContain('the host crashed');
      }
      const { workers, sleeps } = h.pids();
      expect(workers.length).toBeGreaterThanOrEqual(3); // 2 workers + 1 spare
      expect(sleeps.length).toBe(2);
      // bounded: a worker whose host is gone kills its process group within 100 ms
      expect(await allDead([...workers, ...sleeps])).toBe(true);
    });
  }
});
