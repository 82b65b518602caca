import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import pino, { type Logger } from 'pino';
import type { Backoff } from '../machines/backoff.js';
import type { TaskPolicy } from '../machines/taskPolicy.js';
import type { SerializedError } from '../machines/workerProtocol.js';
import type { WorkerLogicFactory } from '../actors/workerLogic.js';
import type { RunObserver } from '../observe/runObserver.js';
import { OptionError } from '../errors/OptionError.js';
import { systemClock, type WardenClock } from './clock.js';
import { defaultTrips } from './defaultTrips.js';
import { resolveIsolation, type ResolvedIsolation } from './resolveIsolation.js';
import type { RunBatchOptions } from './runBatchOptions.js';
import { describe, factor, integerAtLeast, nonNegativeMs, positiveMs, ratio } from './validate.js';

/** RunBatchOptions with every default applied and every value checked. */
export interface ResolvedOptions<I> {
  moduleUrl: string;
  source: Iterable<I> | AsyncIterable<I>;
  key: (input: I, index: number) => string;
  workers: number;
  spareWorkers: number;
  chunkSize: number;
  earlyChunks: number;
  chunkFailureRatio: number;
  batchMs: number;
  chunkMs: number;
  policy: TaskPolicy;
  heartbeatMs: number | undefined;
  pingMs: number | undefined;
  killGraceMs: number;
  startMs: number;
  terminateMs: number;
  circuit: { threshold: number; cooldownMs: number; trips: (e: SerializedError) => boolean };
  restarts: { intensity: number; periodMs: number; backoff: Backoff };
  resourceLimits: RunBatchOptions<I>['resourceLimits'];
  signal: AbortSignal | undefined;
  onDeadLetter: RunBatchOptions<I>['onDeadLetter'];
  onEvent: RunBatchOptions<I>['onEvent'];
  logInputs: boolean;
  logger: Logger;
  clock: WardenClock;
  inspect: RunBatchOptions<I>['inspect'];
  /** Makes the actor behind each worker slot (threads unless told otherwise). */
  workerLogic: WorkerLogicFactory;
  isolation: ResolvedIsolation['isolation'];
  maxMemoryMb: number | undefined;
  /** Internal (resume): source positions already settled by the interrupted run, read but not run. */
  skip?: ((position: number) => boolean) | undefined;
  /** Internal (store): every task of a chunk has ended for good (after its dead letters were handed over). */
  onChunkSettled?: ((chunk: ChunkSettled) => void) | undefined;
  /** Internal (metrics): task times and dependency errors. */
  observer?: RunObserver | undefined;
}

/** A chunk whose every task ended (succeeded or dead-lettered): what resume needs to skip it. */
export interface ChunkSettled {
  index: number;
  size: number;
  succeeded: number;
  deadLettered: number;
}

const MIN = 60_000;

function resolveBackoff(field: string, b: { initialMs?: number; factor?: number; maxMs?: number } | undefined, d: Backoff): Backoff {
  const initialMs = nonNegativeMs(`${field}.initialMs`, b?.initialMs ?? d.initialMs, '1000');
  const f = factor(`${field}.factor`, b?.factor ?? d.factor);
  const maxMs = nonNegativeMs(`${field}.maxMs`, b?.maxMs ?? d.maxMs, '30000');
  if (maxMs < initialMs) throw new OptionError(`${field}.maxMs`, `(${maxMs}) is below ${field}.initialMs (${initialMs})`, 'raise maxMs or lower initialMs');
  return { initialMs, factor: f, maxMs };
}

/** Turns `options.task` into a file URL, checking the file exists. */
export function resolveTaskModule(task: unknown): string {
  let url: URL;
  if (task instanceof URL) url = task;
  else if (typeof task === 'string' && task.startsWith('file:')) url = new URL(task);
  else if (typeof task === 'string' && task.length > 0) url = pathToFileURL(isAbsolute(task) ? task : resolve(task));
  else throw new OptionError('options.task', `must be a module path or a file URL (got ${describe(task)})`, "pass new URL('./tasks/my-task.js', import.meta.url)");
  if (url.protocol !== 'file:') throw new OptionError('options.task', `must be a file URL (got ${url.href})`, 'point it at a .js/.mjs file on disk');
  if (!existsSync(fileURLToPath(url))) {
    throw new OptionError('options.task', `names no file (${fileURLToPath(url)})`, 'check the path; compiled task modules live in your build output (.js)');
  }
  return url.href;
}

function isIterable(v: unknown): boolean {
  return v !== null && typeof v === 'object' && (Symbol.iterator in v || Symbol.asyncIterator in v);
}

/** Applies defaults and validates; throws OptionError (naming the field) before any work starts. */
export function resolveOptions<I>(o: RunBatchOptions<I>): ResolvedOptions<I> {
  if (o === null || typeof o !== 'object') throw new OptionError('options', 'must be an object', 'pass { task, source }');
  const moduleUrl = resolveTaskModule(o.task);
  if (!isIterable(o.source)) {
    throw new OptionError('options.source', `must be an Iterable or AsyncIterable (got ${describe(o.source)})`, 'pass an array or a (async) generator');
  }
  if (o.key !== undefined && typeof o.key !== 'function') throw new OptionError('options.key', 'must be a function (input, index) => string', 'omit it to key tasks by position');
  const t = o.timeouts ?? {};
  const taskMs = positiveMs('options.timeouts.taskMs', t.taskMs ?? 5 * MIN, '300000 (5 min)');
  const chunkMs = positiveMs('options.timeouts.chunkMs', t.chunkMs ?? Math.max(10 * MIN, taskMs), '600000 (10 min)');
  const batchMs = positiveMs('options.timeouts.batchMs', t.batchMs ?? Math.max(120 * MIN, chunkMs), '7200000 (2 h)');
  if (taskMs > chunkMs) throw new OptionError('options.timeouts.taskMs', `(${taskMs}) exceeds options.timeouts.chunkMs (${chunkMs})`, 'budgets must nest: taskMs ≤ chunkMs ≤ batchMs');
  if (chunkMs > batchMs) throw new OptionError('options.timeouts.chunkMs', `(${chunkMs}) exceeds options.timeouts.batchMs (${batchMs})`, 'budgets must nest: taskMs ≤ chunkMs ≤ batchMs');
  const heartbeatMs = t.heartbeatMs === undefined ? undefined : positiveMs('options.timeouts.heartbeatMs', t.heartbeatMs, '30000');
  const pingMs = t.pingMs === undefined ? undefined : positiveMs('options.timeouts.pingMs', t.pingMs, '10000');
  const workers = integerAtLeast('options.workers', o.workers ?? Math.min(4, availableParallelism()), 1, '4');
  const r = o.retry ?? {};
  const c = o.circuit ?? {};
  if (c.trips !== undefined && typeof c.trips !== 'function') throw new OptionError('options.circuit.trips', 'must be a function (error) => boolean', 'omit it to trip on connection errors');
  const rs = o.restarts ?? {};
  if (o.onDeadLetter !== undefined && typeof o.onDeadLetter !== 'function') throw new OptionError('options.onDeadLetter', 'must be a function', 'pass (letter) => { ... }');
  if (o.onEvent !== undefined && typeof o.onEvent !== 'function') throw new OptionError('options.onEvent', 'must be a function', 'pass (event) => { ... }');
  const killGraceMs = positiveMs('options.timeouts.killGraceMs', t.killGraceMs ?? 5000, '5000');
  const terminateMs = positiveMs('options.timeouts.terminateMs', t.terminateMs ?? 5000, '5000');
  const isolation = resolveIsolation(o, killGraceMs, terminateMs);
  return {
    moduleUrl,
    source: o.source,
    key: o.key ?? ((_input: I, index: number) => String(index)),
    workers,
    spareWorkers: integerAtLeast('options.spareWorkers', o.spareWorkers ?? 1, 0, '1'),
    chunkSize: integerAtLeast('options.chunkSize', o.chunkSize ?? 1000, 1, '1000'),
    earlyChunks: integerAtLeast('options.earlyChunks', o.earlyChunks ?? 3, 0, '3'),
    chunkFailureRatio: ratio('options.chunkFailureRatio', o.chunkFailureRatio ?? 1),
    batchMs,
    chunkMs,
    policy: {
      taskMs,
      attempts: integerAtLeast('options.retry.attempts', r.attempts ?? 1, 1, '3'),
      backoff: resolveBackoff('options.retry.backoff', r.backoff, { initialMs: 1000, factor: 2, maxMs: 30_000 }),
    },
    heartbeatMs,
    pingMs,
    killGraceMs,
    startMs: positiveMs('options.timeouts.startMs', t.startMs ?? 30_000, '30000'),
    terminateMs,
    circuit: {
      threshold: integerAtLeast('options.circuit.threshold', c.threshold ?? 5, 1, '5'),
      cooldownMs: positiveMs('options.circuit.cooldownMs', c.cooldownMs ?? 60_000, '60000'),
      trips: c.trips ?? defaultTrips,
    },
    restarts: {
      intensity: integerAtLeast('options.restarts.intensity', rs.intensity ?? 10, 0, '10'),
      periodMs: positiveMs('options.restarts.periodMs', rs.periodMs ?? 60_000, '60000'),
      backoff: resolveBackoff('options.restarts.backoff', rs.backoff, { initialMs: 100, factor: 2, maxMs: 5000 }),
    },
    resourceLimits: isolation.resourceLimits,
    signal: o.signal,
    onDeadLetter: o.onDeadLetter,
    onEvent: o.onEvent,
    logInputs: o.logInputs === true,
    logger: o.logger ?? pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'info' }),
    clock: o.clock ?? systemClock,
    inspect: o.inspect,
    workerLogic: isolation.workerLogic,
    isolation: isolation.isolation,
    maxMemoryMb: isolation.maxMemoryMb,
  };
}
