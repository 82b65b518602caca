/**
 * A minimal, honest worker_threads pool used as the "floor" contender:
 * N workers, one FIFO queue, one postMessage per task, one task in flight per
 * worker (Piscina's default concurrentTasksPerWorker is 1 too), resolve on
 * reply. No batching, no atomics, no transfer lists.
 */
import { Worker } from 'node:worker_threads';

const WORKER_FILE = new URL('./fixtures/plainWorker.mjs', import.meta.url);

export class PlainPool {
  /**
   * @param {{ taskUrl: URL | string, workers: number }} opts
   */
  constructor({ taskUrl, workers }) {
    /** @type {{ input: unknown, resolve: Function, reject: Function }[]} */
    this.queue = [];
    this.idle = [];
    /** @type {Map<Worker, { resolve: Function, reject: Function }>} */
    this.busy = new Map();
    this.closing = false;
    for (let i = 0; i < workers; i++) {
      const w = new Worker(WORKER_FILE, { workerData: { taskUrl: String(taskUrl) } });
      w.on('message', (msg) => this.#onReply(w, msg));
      w.on('error', (err) => this.#onFailure(w, err));
      w.on('exit', (code) => {
        if (!this.closing) this.#onFailure(w, new Error(`plain worker exited (${code})`));
      });
      this.idle.push(w);
    }
  }

  /**
   * Queue one task; resolves with the task's result.
   * @param {unknown} input
   * @returns {Promise<unknown>}
   */
  run(input) {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      this.#dispatch();
    });
  }

  /** Terminate all workers. */
  async close() {
    this.closing = true;
    const all = [...this.idle, ...this.busy.keys()];
    await Promise.all(all.map((w) => w.terminate()));
  }

  #dispatch() {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const w = this.idle.pop();
      const job = this.queue.shift();
      this.busy.set(w, job);
      w.postMessage({ input: job.input });
    }
  }

  #onReply(w, msg) {
    const job = this.busy.get(w);
    this.busy.delete(w);
    this.idle.push(w);
    if (msg.ok) job.resolve(msg.result);
    else job.reject(new Error(msg.error));
    this.#dispatch();
  }

  #onFailure(w, err) {
    const job = this.busy.get(w);
    this.busy.delete(w);
    this.idle = this.idle.filter((x) => x !== w);
    if (job) job.reject(err);
    if (this.idle.length === 0 && this.busy.size === 0) {
      for (const j of this.queue.splice(0)) j.reject(err);
    }
  }
}
