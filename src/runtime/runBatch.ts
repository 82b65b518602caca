import type { WorkerLogicFactory } from '../actors/workerLogic.js';
import type { RunObserver } from '../observe/runObserver.js';
import { BatchEngine } from './batchEngine.js';
import type { BatchSummary } from './batchSummary.js';
import { resolveOptions, type ChunkSettled } from './resolveOptions.js';
import type { RunBatchOptions } from './runBatchOptions.js';

/**
 * Runs one batch of tasks on supervised worker threads and always resolves with a
 * summary whose counts add up (`succeeded + deadLettered + pending === total`).
 *
 * Rejects only for bad input, before any work starts: an `OptionError` naming the
 * field, or a `TaskModuleError` when the task module cannot be loaded.
 */
export async function runBatch<I>(options: RunBatchOptions<I>): Promise<BatchSummary> {
  return runBatchWith(options, {});
}

/** What the warden can set on a run that is not part of the public options. */
export interface RunInternals {
  /** Replaces the actor behind each worker slot (the simulation's in-process worker). */
  workerLogic?: WorkerLogicFactory | undefined;
  /** Resume: source positions to read but not run. */
  skip?: ((position: number) => boolean) | undefined;
  /** Progress: each chunk whose every task has ended for good. */
  onChunkSettled?: ((chunk: ChunkSettled) => void) | undefined;
  /** Metrics: task times and dependency errors. */
  observer?: RunObserver | undefined;
}

/** runBatch with internal overrides; not exported from the package. */
export async function runBatchWith<I>(options: RunBatchOptions<I>, internals: RunInternals): Promise<BatchSummary> {
  const resolved = resolveOptions(options);
  if (internals.workerLogic) resolved.workerLogic = internals.workerLogic;
  resolved.skip = internals.skip;
  resolved.onChunkSettled = internals.onChunkSettled;
  resolved.observer = internals.observer;
  return new BatchEngine(resolved).run();
}
