import type { RunKind } from '../store/types.js';
import type { BatchSummary } from './batchSummary.js';

/** How a run that is not a plain fire differs: a resume, a replay, or runNow. */
export interface RunPlan<I> {
  kind: RunKind;
  /** The fire time the run is for (a resume keeps the interrupted run's). */
  slot?: number | undefined;
  resumeOf?: string | undefined;
  /** Source positions to read but not run (a resume). */
  skip?: ((position: number) => boolean) | undefined;
  /** Replaces the job's source and keys (a replay). */
  source?: (() => Iterable<I> | AsyncIterable<I>) | undefined;
  key?: ((input: I, index: number) => string) | undefined;
  /** The letter a task of this run replays (its new failure links to it). */
  replayOf?: ((index: number) => number | undefined) | undefined;
  /**
   * The stored letters this run replays (a replay): once it ran, they are marked replayed by
   * it in the writer's transaction that records its end, with its new letters. A mark never
   * lands without the new failure it points to.
   */
  replayed?: (() => readonly number[]) | undefined;
  /** Called once the run ended and its rows were handed to the writer. */
  onEnd?: ((runId: string, summary: BatchSummary | undefined) => void) | undefined;
}
