import { Worker } from 'node:worker_threads';
import { fromCallback } from 'xstate';
import type { ThreadInput } from '../machines/worker.machine.js';
import type { SerializedError, TaskResult, ThreadCommand, ThreadEvent } from '../machines/workerProtocol.js';
import { trackThread } from './liveThreads.js';
import type { WorkerLogic, WorkerLogicOptions } from './workerLogic.js';

const ENTRY = new URL('./workerEntry.mjs', import.meta.url);

function serialize(err: unknown): SerializedError {
  const e = err as { name?: unknown; message?: unknown; code?: unknown; stack?: unknown } | undefined;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(err),
    code: typeof e?.code === 'string' || typeof e?.code === 'number' ? e.code : undefined,
    stack: typeof e?.stack === 'string' ? e.stack : undefined,
  };
}

/**
 * A worker thread as an actor: the worker slot machine invokes one per thread
 * generation. It turns the thread's messages and exit into machine events and the
 * machine's commands into messages or `terminate()`. Stopping the actor terminates a
 * thread that has not exited yet.
 */
export function threadLogic(opts: WorkerLogicOptions): WorkerLogic {
  return fromCallback<ThreadCommand, ThreadInput>(({ sendBack, receive, input }) => {
    const worker = new Worker(ENTRY, {
      workerData: { moduleUrl: opts.moduleUrl, slot: input.slot },
      resourceLimits: opts.resourceLimits,
    });
    trackThread(worker);
    let exited = false;
    let uncaught: SerializedError | undefined;
    const send = (e: ThreadEvent) => sendBack(e);
    // Results that arrive in the same turn of the event loop go to the machine as one event.
    let results: TaskResult[] = [];
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      if (results.length === 0) return;
      const batch = results;
      results = [];
      send({ type: 'RESULTS', results: batch, at: opts.clock.now() });
    };
    const addResult = (r: TaskResult) => {
      results.push(r);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flush);
      }
    };

    worker.on('message', (m: number | { t: string; seq: number; error: SerializedError; level: string; msg: string; data: unknown }) => {
      if (typeof m === 'number') return addResult({ seq: m }); // a success
      switch (m.t) {
        case 'err':
          return addResult({ seq: m.seq, error: m.error });
        case 'hb':
          flush();
          return send({ type: 'HEARTBEAT', seq: m.seq });
        case 'pong':
          return send({ type: 'PONG' });
        case 'ready':
          return send({ type: 'READY' });
        case 'loadFailed':
          return send({ type: 'LOAD_FAILED', error: m.error });
        case 'log': {
          const level = (['debug', 'info', 'warn', 'error'] as const).find((l) => l === m.level) ?? 'info';
          opts.logger[level]({ slot: input.slot, seq: m.seq, data: m.data }, m.msg);
          return;
        }
      }
    });
    worker.on('error', (err) => {
      uncaught = serialize(err);
    });
    worker.on('exit', (code) => {
      exited = true;
      flush(); // what finished before the exit counts
      send({ type: 'EXITED', code, error: uncaught });
    });

    receive((cmd) => {
      switch (cmd.type) {
        case 'run':
          try {
            worker.postMessage({ t: 'run', tasks: cmd.tasks });
          } catch {
            // Some input cannot be cloned to a thread: send them one by one, so it fails alone.
            for (const task of cmd.tasks) {
              try {
                worker.postMessage({ t: 'run', tasks: [task] });
              } catch (err) {
                addResult({ seq: task.seq, error: { ...serialize(err), code: 'ERR_WARDEN_UNCLONABLE_INPUT' } });
              }
            }
          }
          return;
        case 'abort':
          worker.postMessage({ t: 'abort', seq: cmd.seq });
          return;
        case 'ping':
          worker.postMessage({ t: 'ping' });
          return;
        case 'terminate':
          void worker.terminate();
          return;
      }
    });

    return () => {
      if (!exited) void worker.terminate();
    };
  });
}
