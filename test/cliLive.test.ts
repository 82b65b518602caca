import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WardenStatus } from '../src/observe/statusStore.js';
import { fixturePath, tempStore, warden } from './cliHelpers.js';
import { killHosts, spawnHost } from './hostProcess.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  killHosts();
  for (const c of cleanups.splice(0)) c();
});

describe('warden status --url: the live status of a running warden', () => {
  it('shows the running run with its chunk progress, as a table and as JSON; /healthz and /metrics answer on the same address', async () => {
    const t = tempStore();
    cleanups.push(t.cleanup);
    const gate = join(t.dir, 'gate');
    const host = spawnHost(fixturePath('serveHost.mjs'), [gate]);
    const url = (await host.line((l) => l.startsWith('url '))).slice(4);
    await host.line((l) => l === 'chunk 0');

    const json = await warden('status', '--url', url, '--json');
    expect(json.code, json.stderr).toBe(0);
    const live = JSON.parse(json.stdout) as WardenStatus & { url: string };
    expect(live.jobs).toEqual([expect.objectContaining({ id: 'grid', running: 1, circuit: 'closed' })]);
    expect(live.runs).toEqual([expect.objectContaining({ jobId: 'grid', kind: 'manual', chunksEnded: 1, succeeded: 2, deadLettered: 0, lastChunk: { index: 0, size: 2, succeeded: 2, deadLettered: 0 } })]);

    const text = await warden('status', '--url', url);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/running {2}grid#\S+ \(manual\) {2}since .* chunk 0 ended: 2 ok, 0 dead-lettered in 1 chunk\(s\)/);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('warden_runs_running{job="grid"} 1');

    writeFileSync(gate, '');
    await host.line((l) => l === 'closed');
    expect((await host.exited).code).toBe(0);
  });

  it('nothing listening: exit 1 naming the address; --url with --db, or a bad URL: exit 2', async () => {
    const down = await warden('status', '--url', 'http://127.0.0.1:9');
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/warden: nothing answers at http:\/\/127\.0\.0\.1:9\/status .*warden\.serve\(\)/);
    const both = await warden('status', '--url', 'http://127.0.0.1:9', '--db', 'x.db');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--url and --db: give one/);
    const bad = await warden('status', '--url', 'not a url');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--url: not a URL/);
  });
});
