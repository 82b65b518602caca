import type { StorePayloadError } from '../errors/StorePayloadError.js';
import type { SqliteStore } from '../store/openSqliteStore.js';
import type { RunPlan } from './runPlan.js';

/** A replay's plan and what it found along the way. */
export interface Replay<I> {
  plan: RunPlan<I>;
  /** Letters whose stored input cannot be decoded: not run, left as they are. */
  unreadable: Array<{ id: number; error: StorePayloadError }>;
  /** Letters handed to the run so far. */
  readonly replayed: number;
  /** The replay run's id, once it ended. */
  runId: string | undefined;
}

/**
 * A run of stored dead letters through the job's supervision: the source reads the letters
 * lazily (one at a time, so a large replay holds one input at a time), each task keeps its
 * letter's key, a new failure links to the letter it replays, and every letter it took is
 * marked replayed by it in the transaction that writes the run's end and its new letters.
 */
export function replayPlan<I>(store: SqliteStore, ids: readonly number[]): Replay<I> {
  /** Letter id at each source position of the run. */
  const taken: number[] = [];
  const keys: string[] = [];
  const r: Replay<I> = {
    unreadable: [],
    get replayed() {
      return taken.length;
    },
    runId: undefined,
    plan: {
      kind: 'replay',
      source: function* () {
        for (const id of ids) {
          const letter = store.deadLetters.get<I>(id);
          if (!letter) continue; // purged meanwhile
          if (!letter.payload.ok) {
            r.unreadable.push({ id, error: letter.payload.error });
            continue;
          }
          taken.push(id);
          keys.push(letter.key);
          yield letter.payload.input;
        }
      },
      key: (_input, index) => keys[index] ?? String(index),
      replayOf: (index) => taken[index],
      replayed: () => taken,
      onEnd: (runId) => {
        r.runId = runId;
      },
    },
  };
  return r;
}
