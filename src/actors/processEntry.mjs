// The code that runs in each worker child process (isolation: 'process'), started by
// processActor.ts with fork(). It speaks the same protocol as a worker thread, over the
// IPC channel (serveTasks.mjs). Plain JavaScript for the same reason as workerEntry.mjs.
//
// It never outlives its host: when the IPC channel closes (the host exited, crashed or
// was killed with SIGKILL) it kills its process group, itself and whatever its tasks
// started. A task blocked in a synchronous call cannot see that event, so a small watcher
// thread (processParentWatch.mjs) checks the parent pid as well.
//
// argv: <task module URL> <group: "1" when this process leads its own process group>
import { Worker } from 'node:worker_threads';
import { serializeError, serveTasks } from './serveTasks.mjs';

const [moduleUrl = '', group = '0'] = process.argv.slice(2);
const send = /** @type {NonNullable<typeof process.send>} */ (process.send).bind(process);

/** SIGKILL for this process and, when it leads its group, everything its tasks started. */
function killAll() {
  try {
    process.kill(group === '1' ? -process.pid : process.pid, 'SIGKILL');
  } catch {
    process.exit(1);
  }
}

process.on('disconnect', killAll);
const watcher = new Worker(new URL('./processParentWatch.mjs', import.meta.url), {
  workerData: { ppid: process.ppid, target: group === '1' ? -process.pid : process.pid },
  resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 1 },
});
watcher.unref();

// An uncaught error ends the process as it ends a thread (exit code 1), after telling the host why.
process.on('uncaughtException', (err) => {
  try {
    send({ t: 'uncaught', error: serializeError(err) }, () => process.exit(1));
  } catch {
    process.exit(1);
  }
});

await serveTasks(moduleUrl, {
  post: (m) => send(m),
  listen: (onMessage) => process.on('message', onMessage),
});
