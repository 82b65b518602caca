// A watcher thread inside each worker child process: when the host process is gone (the
// parent pid changed), it kills the child's process group. It runs on its own thread, so
// it works while the child's main thread is blocked in a synchronous call (execSync, a
// native addon) and cannot see its IPC channel close.
import { workerData } from 'node:worker_threads';

const { ppid, target } = /** @type {{ ppid: number, target: number }} */ (workerData);

/** How often the parent pid is checked: an orphan lives at most this long. */
const CHECK_MS = 100;

setInterval(() => {
  if (process.ppid !== ppid) process.kill(target, 'SIGKILL');
}, CHECK_MS);
