import { newTaskState, type TaskState } from '../machines/stepTask.js';
import type { SerializedError } from '../machines/workerProtocol.js';

/** One task as plain data: the engine keeps these, never an actor per task. */
export interface TaskRecord<I> {
  key: string;
  index: number;
  input: I;
  chunk: number;
  state: TaskState;
  seq: number;
  startedAt: number;
  dueAt: number;
  lastError: SerializedError | undefined;
  firstFailedAt: number;
  /** A per-input problem found before dispatch (its key could not be computed). */
  invalid: SerializedError | undefined;
}

/**
 * A queued record for input number `index`. A key function that throws or returns a
 * non-string marks the record invalid (it will be dead-lettered `error`, alone).
 */
export function createTaskRecord<I>(input: I, index: number, chunk: number, keyOf: (input: I, index: number) => string): TaskRecord<I> {
  let key: string;
  let invalid: SerializedError | undefined;
  try {
    key = keyOf(input, index);
    if (typeof key !== 'string') throw new TypeError(`options.key returned ${typeof key}, not a string`);
  } catch (err) {
    key = `#${index}`;
    const e = err as Error;
    invalid = { name: e?.name ?? 'Error', message: `options.key failed for this input: ${e?.message ?? String(err)}`, code: 'ERR_WARDEN_INVALID_KEY' };
  }
  return { key, index, input, chunk, state: newTaskState(), seq: 0, startedAt: 0, dueAt: 0, lastError: undefined, firstFailedAt: 0, invalid };
}
