import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/openSqliteStore.js';
import { tempDb } from './storeHelpers.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

describe('runs', () => {
  it('records a run from start to finish, survives a reopen, and lists by job and status', () => {
    const t = tempDb();
    cleanup = t.cleanup;
    const store = openSqliteStore(t.path);
    store.runs.start({ id: 'r1', jobId: 'a', slot: new Date(1000), host: 'h1', startedAt: new Date(1001) });
    store.runs.start({ id: 'r2', jobId: 'a', host: 'h1', startedAt: new Date(2000) });
    store.runs.start({ id: 'r3', jobId: 'b', host: 'h2', startedAt: new Date(3000) });
    expect(store.runs.finish('r1', { endedAt: new Date(1500), status: 'completed', metrics: { total: 3, succeeded: 3 } })).toBe(true);
    expect(store.runs.finish('nope', { endedAt: new Date(1), status: 'completed' })).toBe(false);
    expect(() => store.runs.start({ id: 'r1', jobId: 'a', host: 'h', startedAt: new Date(0) })).toThrow(/UNIQUE/);
    store.close();

    const again = openSqliteStore(t.path);
    expect(again.runs.get('r1')).toEqual({
      id: 'r1',
      jobId: 'a',
      slot: new Date(1000),
      host: 'h1',
      startedAt: new Date(1001),
      endedAt: new Date(1500),
      status: 'completed',
      metrics: { total: 3, succeeded: 3 },
      kind: 'scheduled',
    });
    expect(again.runs.get('r2')).toEqual({ id: 'r2', jobId: 'a', host: 'h1', startedAt: new Date(2000), status: 'running', kind: 'scheduled' });
    expect(again.runs.list({ jobId: 'a' }).map((r) => r.id)).toEqual(['r1', 'r2']);
    expect(again.runs.list({ status: 'running' }).map((r) => r.id)).toEqual(['r2', 'r3']);
    expect(again.runs.get('zzz')).toBeUndefined();
    again.close();
  });
});
