import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createWarden } from '../src/runtime/createWarden.js';
import { quiet } from './helpers.js';
import { killHosts, spawnHost } from './hostProcess.js';
import { expectCountsAddUp } from './wardenProbe.js';

// A real host process (test/fixtures/signalHost.mjs, on the built package: npm test builds
// first) with a run whose tasks hang. Handshakes only: its stdout says when it is ready.
const HOST = fileURLToPath(new URL('./fixtures/signalHost.mjs', import.meta.url));
const host = (graceMs: number) => spawnHost(HOST, [String(graceMs)]);

afterEach(killHosts);

describe('handleSignals() in a real host process', () => {
  it('SIGTERM: close() aborts the run, its tasks are dead-lettered aborted, the counts add up, the process exits 0 with no thread left', async () => {
    const h = host(50);
    await h.line((l) => l === 'ready');
    h.child.kill('SIGTERM');
    const { code, signal } = await h.exited;
    expect({ code, signal }, h.stderr()).toEqual({ code: 0, signal: null });
    expect(h.lines.some((l) => l.includes('signal received: closing'))).toBe(true);
    const finished = h.lines.filter((l) => l.includes('"event":"run.finished"')).map((l) => JSON.parse(l));
    expect(finished).toHaveLength(1);
    const { summary } = finished[0];
    expect(summary.status).toBe('aborted');
    expect(summary.reason).toBe('aborted');
    expect(summary.byReason.aborted).toBe(6);
    expectCountsAddUp(summary, 6);
    expect(h.lines.at(-1)).toBe('exit 0 threads 0');
  });

  it('a second SIGTERM while closing exits at once with code 1', async () => {
    const h = host(600_000); // a grace far longer than the test may take: only the second signal can end it
    await h.line((l) => l === 'ready');
    h.child.kill('SIGTERM');
    await h.line((l) => l.includes('signal received: closing'));
    h.child.kill('SIGTERM');
    const { code, signal } = await h.exited;
    expect({ code, signal }, h.stderr()).toEqual({ code: 1, signal: null });
    expect(h.lines.some((l) => l.includes('second signal while closing'))).toBe(true);
    expect(h.lines.some((l) => l.includes('"event":"run.finished"'))).toBe(false);
  });
});

describe('handleSignals() listeners', () => {
  const count = () => [process.listenerCount('SIGTERM'), process.listenerCount('SIGINT')];

  it('are added once, and removed when close() resolves', async () => {
    const before = count();
    const warden = createWarden({ logger: quiet, store: 'memory' });
    const off = warden.handleSignals();
    expect(warden.handleSignals()).toBe(off); // idempotent
    expect(count()).toEqual(before.map((n) => n + 1));
    await warden.close();
    expect(count()).toEqual(before);
    expect(() => warden.handleSignals()).toThrow(/closed/);
  });

  it('are removed by the function handleSignals returns, and can be added again', async () => {
    const before = count();
    const warden = createWarden({ logger: quiet, store: 'memory' });
    const off = warden.handleSignals();
    off();
    off();
    expect(count()).toEqual(before);
    warden.handleSignals({ graceMs: 0 });
    expect(count()).toEqual(before.map((n) => n + 1));
    await warden.close();
    expect(count()).toEqual(before);
  });
});
