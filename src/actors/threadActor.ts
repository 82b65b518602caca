import { Worker } from 'node:worker_threads';
import { fromCallback } from 'xstate';
import { WorkerMemoryError } from '../errors/WorkerMemoryError.js';
import type { ThreadInput } from '../machines/worker.machine.js';
import type { SerializedError, ThreadCommand } from '../machines/workerProtocol.js';
import { trackThread } from './liveThreads.js';
import { sendTasks, serializeError, workerMessages, type WorkerMessage } from './workerMessages.js';
import type { WorkerLogic, WorkerLogicOptions } from './workerLogic.js';

const ENTRY = new URL('./workerEntry.mjs', import.meta.url);

/** A thread that reached its `resourceLimits` heap cap is a memory crash, as a process over `maxMemoryMb` is. */
function exitError(err: unknown): SerializedError {
  const e = serializeError(err);
  return e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? { ...e, code: WorkerMemoryError.code } : e;
}

/**
 * A worker thread as an actor: the worker slot machine invokes one per thread
 * generation. It turns the thread's messages and exit into machine events and the
 * machine's commands into messages or `terminate()`. Stopping the actor terminates a
 * thread that has not exited yet.
 *
 * A thread blocked in a synchronous native call (execSync, a blocking addon) does not
 * exit when terminated: the machine reports it `stuck` after `terminateMs` and starts a
 * new one without waiting; the registry (liveThreads.ts) keeps counting it until it exits.
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
    const messages = workerMessages(sendBack, opts, input.slot);

    worker.on('message', (m: WorkerMessage) => messages.receive(m));
    worker.on('error', (err) => {
      uncaught = exitError(err);
    });
    worker.on('exit', (code) => {
      exited = true;
      messages.flush(); // what finished before the exit counts
      sendBack({ type: 'EXITED', code, error: uncaught });
    });

    receive((cmd) => {
      switch (cmd.type) {
        case 'run':
          sendTasks(cmd.tasks, (m) => worker.postMessage(m), messages);
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
