import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The built CLI, run as a user runs it (npm test builds first).
const CLI = fileURLToPath(new URL('../dist/runtime/cli.js', import.meta.url));

function warden(...args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('the warden command', () => {
  it('demo: hung, crashed and failing tasks are dead-lettered with their reasons, the rest succeed', () => {
    const r = warden('demo');
    expect(r.status).toBe(0);
    const out = r.stdout;
    const m = /tasks\s+(\d+) total = (\d+) succeeded \+ (\d+) dead-lettered \+ (\d+) pending/.exec(out);
    expect(m).not.toBeNull();
    const [total, ok, dead, pending] = (m as RegExpExecArray).slice(1).map(Number) as [number, number, number, number];
    expect(total).toBe(80);
    expect(ok + dead + pending).toBe(total);
    // the grid marks 4 hangs, 1 crash, 1 bad row; the flaky connection succeeds on its retry
    expect(out).toMatch(/dead letters\s+timeout 4, error 1, crash 1/);
    expect(out).toMatch(/status\s+partial/);
  });

  it('an unknown command: usage on stderr, exit code 2', () => {
    const r = warden('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown command "frobnicate"/);
    expect(r.stderr).toMatch(/usage: warden/);
  });

  it('help: usage, exit code 0', () => {
    const r = warden('help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/demo/);
  });
});
