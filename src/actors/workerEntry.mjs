// The code that runs inside each worker thread. Plain JavaScript on purpose: Node 20
// cannot load TypeScript in a Worker by itself, and this file must work unchanged from
// src/ (tests) and from dist/ (the published package). Type-checked through JSDoc.
import { parentPort, workerData } from 'node:worker_threads';

/** @typedef {{ name: string, message: string, code?: string | number, stack?: string }} SerializedError */

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const { moduleUrl } = /** @type {{ moduleUrl: string }} */ (workerData);

/** @param {unknown} err @returns {SerializedError} */
function serialize(err) {
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

/** @type {(input: unknown, ctx: object) => unknown} */
let task;
try {
  const mod = await import(moduleUrl);
  if (typeof mod.default !== 'function') {
    port.postMessage({
      t: 'loadFailed',
      error: { name: 'TypeError', message: `the task module has no default export function (found ${typeof mod.default})` },
    });
    // Stay idle: the main thread terminates this worker.
  } else {
    task = mod.default;
    port.postMessage({ t: 'ready' });
  }
} catch (err) {
  port.postMessage({ t: 'loadFailed', error: serialize(err) });
}

/** @typedef {{ seq: number, key: string, input: unknown, attempt: number }} Task */

/** Tasks handed over and not started yet, run one at a time in order. */
/** @type {Task[]} */
let queue = [];
let head = 0;
/** @type {{ seq: number, controller: AbortController } | undefined} */
let current;

/** @param {number} seq @param {string} level */
function logger(seq, level) {
  return (/** @type {string} */ msg, /** @type {unknown} */ data) => port.postMessage({ t: 'log', seq, level, msg, data });
}

/** @param {Task} m */
async function runOne(m) {
  const controller = new AbortController();
  current = { seq: m.seq, controller };
  const ctx = {
    signal: controller.signal,
    key: m.key,
    attempt: m.attempt,
    heartbeat: (/** @type {unknown} */ progress) => port.postMessage({ t: 'hb', seq: m.seq, progress }),
    log: {
      debug: logger(m.seq, 'debug'),
      info: logger(m.seq, 'info'),
      warn: logger(m.seq, 'warn'),
      error: logger(m.seq, 'error'),
    },
  };
  try {
    await task(m.input, ctx);
    port.postMessage(m.seq); // a success is just its number: the cheapest message to send and receive
  } catch (err) {
    port.postMessage({ t: 'err', seq: m.seq, error: serialize(err) });
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

port.on('message', (/** @type {any} */ m) => {
  switch (m.t) {
    case 'run':
      for (const t of m.tasks) queue.push(t);
      void drain();
      break;
    case 'abort':
      // The supervisor has given up on the running task: what waits behind it goes back.
      queue = [];
      head = 0;
      if (current && current.seq === m.seq) {
        current.controller.abort(Object.assign(new Error('the task was aborted by its supervisor'), { name: 'AbortError' }));
      }
      break;
    case 'ping':
      port.postMessage({ t: 'pong' });
      break;
  }
});
