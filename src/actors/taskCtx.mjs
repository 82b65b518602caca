// The `ctx` a task gets inside its worker. Plain JavaScript, like serveTasks.mjs.
// Its parts are made on first use: most tasks never touch the signal, the heartbeat or
// the logger, and a worker that runs a million tiny tasks should not build an
// AbortController and five closures for each (that garbage grew the worker's heap).

/** @typedef {{ seq: number, key: string, input: unknown, attempt: number }} Task */
/** @typedef {(msg: string, data?: unknown) => void} LogFn */

const LEVELS = /** @type {const} */ (['debug', 'info', 'warn', 'error']);

export class TaskCtx {
  /** @type {number} */ #seq;
  /** @type {(message: unknown) => void} */ #post;
  /** @type {AbortController | undefined} */ #controller;
  /** @type {{ reason: unknown } | undefined} */ #aborted;
  /** @type {((progress?: unknown) => void) | undefined} */ #heartbeat;
  /** @type {Record<'debug' | 'info' | 'warn' | 'error', LogFn> | undefined} */ #log;

  /** @param {Task} task @param {(message: unknown) => void} post */
  constructor(task, post) {
    this.key = task.key;
    this.attempt = task.attempt;
    this.#seq = task.seq;
    this.#post = post;
  }

  /**
   * Aborted when the supervisor gives up on this task (an already aborted signal if that came first).
   * @returns {AbortController['signal']}
   */
  get signal() {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#aborted.reason);
    }
    return this.#controller.signal;
  }

  /** A getter, so `const { heartbeat } = ctx` works: bound to this task. */
  get heartbeat() {
    const post = this.#post;
    const seq = this.#seq;
    return (this.#heartbeat ??= (/** @type {unknown} */ progress) => post({ t: 'hb', seq, progress }));
  }

  get log() {
    if (!this.#log) {
      const post = this.#post;
      const seq = this.#seq;
      /** @param {string} level @returns {LogFn} */
      const at = (level) => (msg, data) => post({ t: 'log', seq, level, msg, data });
      this.#log = { debug: at(LEVELS[0]), info: at(LEVELS[1]), warn: at(LEVELS[2]), error: at(LEVELS[3]) };
    }
    return this.#log;
  }

  /** Whether this is the context of attempt `seq`. @param {number} seq */
  isFor(seq) {
    return this.#seq === seq;
  }

  /** The supervisor gave up on this task. @param {unknown} reason */
  abort(reason) {
    if (this.#aborted) return;
    this.#aborted = { reason };
    this.#controller?.abort(reason);
  }
}
