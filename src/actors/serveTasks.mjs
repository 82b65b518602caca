// The worker side of the worker protocol, shared by the thread entry (workerEntry.mjs)
// and the process entry (processEntry.mjs): it loads the task module, reports `ready` or
// `loadFailed`, runs the tasks it is handed one at a time, forwards heartbeats and log
// lines, and answers pings. Plain JavaScript (see workerEntry.mjs); no timers: every wait
// is the supervisor's.

import { TaskCtx } from './taskCtx.mjs';

/** @typedef {{ name: string, message: string, code?: string | number, stack?: string }} SerializedError */
/** @typedef {{ seq: number, key: string, input: unknown, attempt: number }} Task */
/**
 * How the worker talks to its supervisor.
 * @typedef {{ post: (message: unknown) => void, listen: (onMessage: (message: any) => void) => void }} Channel
 */

/** @param {unknown} err @returns {SerializedError} */
export function serializeError(err) {
  if (err instanceof Error || (typeof err === 'object' && err !== null && 'message' in err)) {
    const e = /** @type {Error & { code?: string | number }} */ (err);
    /** @type {SerializedError} */
    const out = { name: String(e.name ?? 'Error'), message: String(e.message) };
    if (typeof e.code === 'string' || typeof e.code === 'number') out.code = e.code;
    if (typeof e.stack === 'string') out.stack = e.stack;
    return out;
  }
  return { name: 'Error', message: String(err) };
}

/**
 * Loads the task module at `moduleUrl` and serves tasks over `channel` until the worker
 * is terminated. Resolves once the module is loaded (or failed to load).
 * @param {string} moduleUrl
 * @param {Channel} channel
 */
export async function serveTasks(moduleUrl, channel) {
  const { post } = channel;

  /** @type {(input: unknown, ctx: object) => unknown} */
  let task = () => undefined;

  /** Tasks handed over and not started yet, run one at a time in order. */
  /** @type {Task[]} */
  let queue = [];
  let head = 0;
  /** The running task's context. @type {TaskCtx | undefined} */
  let current;

  /** @param {Task} m */
  async function runOne(m) {
    const ctx = new TaskCtx(m, post);
    current = ctx;
    try {
      await task(m.input, ctx);
      post(m.seq); // a success is just its number: the cheapest message to send and receive
    } catch (err) {
      post({ t: 'err', seq: m.seq, error: serializeError(err) });
    } finally {
      current = undefined;
    }
  }

  let draining = false;
  async function drain() {
    if (draining) return;
    draining = true;
    try {
      while (head < queue.length) {
        const m = /** @type {Task} */ (queue[head++]);
        if (head === queue.length) {
          queue = [];
          head = 0;
        }
        await runOne(m);
      }
    } finally {
      draining = false;
    }
  }

  try {
    const mod = await import(moduleUrl);
    if (typeof mod.default !== 'function') {
      post({
        t: 'loadFailed',
        error: { name: 'TypeError', message: `the task module has no default export function (found ${typeof mod.default})` },
      });
      return; // Stay idle: the supervisor terminates this worker.
    }
    task = mod.default;
  } catch (err) {
    post({ t: 'loadFailed', error: serializeError(err) });
    return;
  }

  channel.listen((m) => {
    switch (m.t) {
      case 'run':
        for (const t of m.tasks) queue.push(t);
        void drain();
        break;
      case 'abort':
        // The supervisor has given up on the running task: what waits behind it goes back.
        queue = [];
        head = 0;
        if (current && current.isFor(m.seq)) {
          current.abort(Object.assign(new Error('the task was aborted by its supervisor'), { name: 'AbortError' }));
        }
        break;
      case 'ping':
        post({ t: 'pong' });
        break;
    }
  });
  post({ t: 'ready' });
}
