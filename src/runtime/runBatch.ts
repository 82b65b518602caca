import { BatchEngine } from './batchEngine.js';
import type { BatchSummary } from './batchSummary.js';
import { resolveOptions } from './resolveOptions.js';
import type { RunBatchOptions } from './runBatchOptions.js';

/**
 * Runs one batch of tasks on supervised worker threads and always resolves with a
 * summary whose counts add up (`succeeded + deadLettered + pending === total`).
 *
 * Rejects only for bad input, before any work starts: an `OptionError` naming the
 * field, or a `TaskModuleError` when the task module cannot be loaded.
 */
export async function runBatch<I>(options: RunBatchOptions<I>): Promise<BatchSummary> {
  const resolved = resolveOptions(options);
  return new BatchEngine(resolved).run();
}
