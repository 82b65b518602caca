import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { AddressInfo } from 'node:net';
import type { InspectionEvent } from 'xstate';
import { createWarden } from '../../src/runtime/createWarden.js';
import { fixture, quiet } from '../helpers.js';
import { killHosts, spawnHost } from '../hostProcess.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  killHosts();
  for (const f of cleanups.splice(0).reverse()) await f();
});

/** A local inspector server: collects every message; `closed` resolves when a client disconnects. */
async function inspectorServer() {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((res) => server.once('listening', res));
  const messages: Array<{ type: string; name?: string; event?: { type: string } }> = [];
  let onClose: () => void = () => undefined;
  const closed = new Promise<void>((res) => (onClose = res));
  let onMessage: () => void = () => undefined;
  server.on('connection', (socket: WebSocket) => {
    socket.on('message', (data) => {
      messages.push(JSON.parse(String(data)));
      onMessage();
    });
    socket.on('close', () => onClose());
  });
  cleanups.push(() => new Promise((res) => server.close(res)));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    messages,
    closed,
    /** Resolves once a message matches. */
    until: (match: (m: (typeof messages)[number]) => boolean) =>
      new Promise<void>((res) => {
        const check = () => (messages.some(match) ? res() : undefined);
        onMessage = check;
        check();
      }),
  };
}

describe('the Stately inspector', () => {
  it('a WebSocket inspector server receives the machines (job, batch, workers) and their events, without the per-task ones; close() disconnects', async () => {
    const server = await inspectorServer();
    const w = createWarden({ logger: quiet, store: 'memory', inspect: server.url });
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: fixture('ok.mjs'), workers: 2, source: () => Array.from({ length: 50 }, (_, i) => i) });
    await w.runNow('j');
    await server.until((m) => m.type === '@xstate.snapshot' && m.event?.type === 'STOPPED');
    const actors = server.messages.filter((m) => m.type === '@xstate.actor').map((m) => m.name);
    expect(actors).toEqual(expect.arrayContaining(['job', 'batch', 'pool', 'chunk', 'circuit']));
    expect(actors.some((n) => String(n).startsWith('worker'))).toBe(true);
    const eventTypes = new Set(server.messages.map((m) => m.event?.type).filter(Boolean));
    expect(eventTypes.has('RUN_NOW')).toBe(true);
    for (const t of ['RUN', 'NEXT', 'RESULTS']) expect(eventTypes.has(t), t).toBe(false);
    await w.close();
    await server.closed;
  });

  it('inspectTasks: true keeps the per-task events', async () => {
    const seen: InspectionEvent[] = [];
    const w = createWarden({ logger: quiet, store: 'memory', inspect: (e) => seen.push(e), inspectTasks: true });
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: fixture('ok.mjs'), source: () => [1, 2, 3] });
    await w.runNow('j');
    await w.close();
    expect(seen.some((e) => e.type === '@xstate.event' && e.event.type === 'RUN')).toBe(true);
  });

  it('an inspector object: its observer gets the events, close() stops it', async () => {
    const types: string[] = [];
    let stopped = 0;
    const w = createWarden({ logger: quiet, store: 'memory', inspect: { inspect: { next: (e: InspectionEvent) => types.push(e.type) }, stop: () => stopped++ } });
    w.defineJob({ id: 'j', trigger: { everyMs: 3_600_000 }, task: fixture('ok.mjs'), source: () => [1] });
    await w.runNow('j');
    await w.close();
    expect(types).toContain('@xstate.actor');
    expect(stopped).toBe(1);
  });

  it('a bad inspect option is an OptionError naming the field', () => {
    expect(() => createWarden({ logger: quiet, store: 'memory', inspect: 'http://x' })).toThrow(expect.objectContaining({ field: 'options.inspect' }));
    expect(() => createWarden({ logger: quiet, store: 'memory', inspect: 42 as never })).toThrow(expect.objectContaining({ field: 'options.inspect' }));
  });

  it('an inspector server that is down does not keep the host alive: after close() the process exits by itself', async () => {
    const server = await inspectorServer();
    const dead = server.url; // free the port: nothing listens there any more
    await (cleanups.pop() as () => Promise<void>)();
    const h = spawnHost(fileURLToPath(new URL('../fixtures/inspectHost.mjs', import.meta.url)), [dead]);
    const { code, signal } = await h.exited;
    expect({ code, signal }, h.stderr()).toEqual({ code: 0, signal: null });
    expect(h.lines).toEqual(['closed']);
  });
});
