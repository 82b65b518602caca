import type { ResourceLimits } from 'node:worker_threads';
import { processLogic } from '../actors/processActor.js';
import { threadLogic } from '../actors/threadActor.js';
import type { WorkerLogicFactory } from '../actors/workerLogic.js';
import { OptionError } from '../errors/OptionError.js';
import type { Isolation } from './runBatchOptions.js';
import { describe, integerAtLeast } from './validate.js';

/** Below this, an idle worker process (about 55 MB resident) would soon be over its cap. */
const MIN_MEMORY_MB = 96;

export interface ResolvedIsolation {
  isolation: Isolation;
  maxMemoryMb: number | undefined;
  /** What each thread gets (with `maxMemoryMb`, its heap limit unless resourceLimits sets one). */
  resourceLimits: ResourceLimits | undefined;
  workerLogic: WorkerLogicFactory;
}

/**
 * Where the workers run, and their memory cap. A process is sent SIGKILL `killGraceMs`
 * after SIGTERM, or half of `terminateMs` if that is shorter, so its death is seen
 * before the machine's terminate timeout.
 */
export function resolveIsolation(
  o: { isolation?: unknown; maxMemoryMb?: unknown; resourceLimits?: ResourceLimits | undefined },
  killGraceMs: number,
  terminateMs: number,
): ResolvedIsolation {
  const isolation = o.isolation ?? 'thread';
  if (isolation !== 'thread' && isolation !== 'process') {
    throw new OptionError('options.isolation', `must be 'thread' or 'process' (got ${describe(isolation)})`, "pass 'process' for work a thread cannot be stopped from (see docs/isolation.md)");
  }
  const maxMemoryMb = o.maxMemoryMb === undefined ? undefined : integerAtLeast('options.maxMemoryMb', o.maxMemoryMb, MIN_MEMORY_MB, '512');
  if (isolation === 'process') {
    if (o.resourceLimits !== undefined) {
      throw new OptionError('options.resourceLimits', "applies to worker threads only (options.isolation is 'process')", 'cap each process with options.maxMemoryMb instead');
    }
    return { isolation, maxMemoryMb, resourceLimits: undefined, workerLogic: processLogic({ maxMemoryMb, killAfterMs: Math.min(killGraceMs, terminateMs / 2) }) };
  }
  const resourceLimits = maxMemoryMb === undefined ? o.resourceLimits : { maxOldGenerationSizeMb: maxMemoryMb, ...o.resourceLimits };
  return { isolation, maxMemoryMb, resourceLimits, workerLogic: threadLogic };
}
