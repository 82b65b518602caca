import type { RunBatchOptions, Timeouts } from './runBatchOptions.js';
import type { Trigger } from './trigger.js';

/** Budgets of a scheduled job: the batch's, plus the whole run's. They nest: taskMs ≤ chunkMs ≤ batchMs ≤ jobMs. */
export interface JobTimeouts extends Timeouts {
  /** The whole run, slot included: at jobMs the run is stopped (remaining tasks dead-lettered `job-timeout`)
   * and its slot is released at the latest after the kill grace and terminate bound. Default 3 h. */
  jobMs?: number;
}

/** `warden.defineJob(spec)`: a trigger, the scheduling policies, and a batch (as runBatch takes it). */
export interface JobSpec<I = unknown>
  extends Omit<RunBatchOptions<I>, 'source' | 'signal' | 'logger' | 'clock' | 'inspect' | 'timeouts'> {
  id: string;
  trigger: Trigger;
  /** Runs of this job at once; a fire at the limit is skipped (`run.skipped`). Default 1. */
  maxInstances?: number;
  /** Several fires due at once (host busy, down, clock jump) run once. Default true. */
  coalesce?: boolean;
  /** A fire handled more than this late is dropped (`run.missed`). Default 60 s. */
  misfireGraceMs?: number;
  timeouts?: JobTimeouts;
  /** A run left unfinished by a host that died: `'resume'` runs the chunks it had not settled again
   * (tasks are at-least-once), `'dead-letter'` writes its unfinished tasks as `interrupted` letters.
   * Decided when the next host starts on the same store. Default `'resume'`. */
  onInterrupted?: 'resume' | 'dead-letter';
  /** A fresh iterable of the run's inputs, called once per run. */
  source: () => Iterable<I> | AsyncIterable<I>;
}
