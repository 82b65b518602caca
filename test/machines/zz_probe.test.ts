import { test } from 'vitest';
import { createActor, fromCallback, SimulatedClock, setup } from 'xstate';
import { workerMachine } from '../../src/machines/worker.machine.js';
import { poolMachine } from '../../src/machines/pool.machine.js';

test('probe2', () => {
  const clock = new SimulatedClock();
  const wi = { slot: 0, taskMs: 1000, heartbeatMs: 300, killGraceMs: 50, startTimeoutMs: 200, terminateTimeoutMs: 80, restartBackoff: { initialMs: 10, factor: 2, maxMs: 40 } };
  const log: unknown[] = [];
  const thread = fromCallback<any, any>(({ input, receive }) => { log.push(['start', input]); receive((c) => log.push(['cmd', input.generation, c])); return () => log.push(['stop', input.generation]); });
  const w = workerMachine.provide({ actors: { thread } });
  const harness = setup({ actors: { worker: w }, types: { events: {} as { type: 'RESTARTED'; slot: number } } }).createMachine({
    invoke: { id: 'worker', src: 'worker', input: () => wi },
    on: { RESTARTED: { actions: ({ event }) => log.push(['parent got', event]) } },
  });
  const root = createActor(harness, { clock, inspect: (ev) => {
    if (ev.type === '@xstate.microstep') log.push(['micro', ev.actorRef.id, ev.event.type, (ev as any)._transitions.map((t: any) => [t.source.id, t.eventType, t.source.always?.indexOf(t)])]);
  } });
  root.start();
  const child = root.getSnapshot().children.worker!;
  child.on('*', (e) => log.push(['emit', e]));
  child.send({ type: 'READY' } as any);
  child.send({ type: 'RUN', task: { seq: 1, key: 'k', input: 1, attempt: 1 } } as any);
  child.send({ type: 'EXITED', code: 1 } as any);
  clock.increment(0);
  console.log(JSON.stringify(child.getSnapshot().value), clock.now());
  for (const l of log) console.log(JSON.stringify(l));
});

test('probe pool', () => {
  const clock = new SimulatedClock();
  const wi = { taskMs: 1000, killGraceMs: 50, startTimeoutMs: 200, terminateTimeoutMs: 80, restartBackoff: { initialMs: 10, factor: 2, maxMs: 40 } };
  const thread = fromCallback<any, any>(({ sendBack, receive }) => { sendBack({ type: 'READY' }); receive((c) => { if (c.type === 'terminate') sendBack({ type: 'EXITED', code: 0 }); }); });
  const pool = poolMachine.provide({ actors: { worker: workerMachine.provide({ actors: { thread } }) } });
  const a = createActor(pool, { clock, input: { threads: 2, intensity: 1, periodMs: 100, worker: wi } });
  a.start();
  const kids = a.getSnapshot().children as any;
  console.log(Object.keys(kids), JSON.stringify(kids['worker-0'].getSnapshot().value));
  a.send({ type: 'STOP', reason: 'aborted' });
  console.log(JSON.stringify(kids['worker-0'].getSnapshot().value), kids['worker-0'].getSnapshot().status);
  a.send({ type: 'STOP', reason: 'aborted' });
});
