import { Cron } from 'croner';
import { OptionError } from '../errors/OptionError.js';
import type { JobSpec } from './jobSpec.js';
import type { FireRule } from './nextFire.js';
import { resolveOptions } from './resolveOptions.js';
import { describe, integerAtLeast, positiveMs } from './validate.js';

const MIN = 60_000;

/** A JobSpec with its defaults applied and checked. */
export interface ResolvedJob<I> {
  spec: JobSpec<I>;
  id: string;
  /** Builds the fire rule; `anchor` (clock ms) is where `everyMs` counts from. */
  rule: (anchor: number) => FireRule;
  maxInstances: number;
  coalesce: boolean;
  misfireGraceMs: number;
  jobMs: number;
  /** After the job budget: how long the run may take to stop before its slot is released anyway. */
  releaseMs: number;
  /** The job-level circuit: after a run ended `circuit-open`, fires are skipped for this long (`circuit.cooldownMs`, default 60 s). */
  cooldownMs: number;
  /** What a new host does with a run of this job that a dead host left unfinished. */
  onInterrupted: 'resume' | 'dead-letter';
  /** Tasks per chunk (recorded with each run: a resume counts chunks in it). */
  chunkSize: number;
}

function resolveRule(trigger: unknown): (anchor: number) => FireRule {
  if (trigger === null || typeof trigger !== 'object') {
    throw new OptionError('job.trigger', `must be an object (got ${describe(trigger)})`, "pass { cron: '0 2 1 1 *', tz: 'Asia/Seoul' }, { everyMs } or { at: Date }");
  }
  const t = trigger as Record<string, unknown>;
  const kinds = ['cron', 'everyMs', 'at'].filter((k) => t[k] !== undefined);
  if (kinds.length !== 1) {
    throw new OptionError('job.trigger', kinds.length === 0 ? 'has no kind' : `has ${kinds.length} kinds (${kinds.join(', ')})`, 'give exactly one of cron, everyMs, at');
  }
  if (t['tz'] !== undefined && kinds[0] !== 'cron') throw new OptionError('job.trigger.tz', 'only applies to a cron trigger', 'remove it');
  if (t['cron'] !== undefined) {
    if (typeof t['cron'] !== 'string') throw new OptionError('job.trigger.cron', `must be a string (got ${describe(t['cron'])})`, "pass for example '0 2 1 1 *'");
    const tz = t['tz'];
    if (tz !== undefined) {
      let ok = typeof tz === 'string' && tz.length > 0;
      try {
        if (ok) new Intl.DateTimeFormat('en', { timeZone: tz as string });
      } catch {
        ok = false;
      }
      if (!ok) throw new OptionError('job.trigger.tz', `is not a known time zone (got ${describe(tz)})`, "pass an IANA name such as 'Asia/Seoul'");
    }
    let cron: Cron;
    try {
      cron = new Cron(t['cron'], { timezone: tz as string | undefined, paused: true });
    } catch (err) {
      throw new OptionError('job.trigger.cron', `is not a valid cron pattern (${describe(t['cron'])}: ${(err as Error).message})`, "pass for example '0 2 1 1 *' (02:00 on 1 January)");
    }
    if (cron.nextRun() === null) throw new OptionError('job.trigger.cron', `never fires (${describe(t['cron'])})`, 'check the pattern');
    return () => ({ kind: 'cron', cron });
  }
  if (t['everyMs'] !== undefined) {
    const everyMs = t['everyMs'];
    if (typeof everyMs !== 'number' || !Number.isFinite(everyMs) || everyMs <= 0) {
      throw new OptionError('job.trigger.everyMs', `must be a positive number of milliseconds (got ${describe(everyMs)})`, 'pass for example 60000');
    }
    return (anchor) => ({ kind: 'every', everyMs, anchor });
  }
  const at = t['at'];
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) throw new OptionError('job.trigger.at', `must be a valid Date (got ${describe(at)})`, "pass new Date('2027-01-01T02:00:00+09:00')");
  return () => ({ kind: 'at', at: at.getTime() });
}

/** Validates a job definition (OptionError naming the field), batch options included. */
export function resolveJob<I>(spec: JobSpec<I>): ResolvedJob<I> {
  if (spec === null || typeof spec !== 'object') throw new OptionError('job', 'must be an object', 'pass { id, trigger, task, source }');
  if (typeof spec.id !== 'string' || spec.id.length === 0) throw new OptionError('job.id', `must be a non-empty string (got ${describe(spec.id)})`, "pass for example 'hazard-timeseries'");
  const rule = resolveRule(spec.trigger);
  if (typeof spec.source !== 'function') {
    throw new OptionError('job.source', `must be a function returning a fresh iterable per run (got ${describe(spec.source)})`, 'pass () => gridPoints()');
  }
  const maxInstances = integerAtLeast('job.maxInstances', spec.maxInstances ?? 1, 1, '1');
  if (spec.coalesce !== undefined && typeof spec.coalesce !== 'boolean') throw new OptionError('job.coalesce', `must be a boolean (got ${describe(spec.coalesce)})`, 'pass true');
  const grace = spec.misfireGraceMs ?? MIN;
  if (typeof grace !== 'number' || !(grace >= 0)) throw new OptionError('job.misfireGraceMs', `must be a number of milliseconds ≥ 0 (got ${describe(grace)})`, 'pass for example 3600000 (1 h)');
  const onInterrupted = spec.onInterrupted ?? 'resume';
  if (onInterrupted !== 'resume' && onInterrupted !== 'dead-letter') {
    throw new OptionError('job.onInterrupted', `must be 'resume' or 'dead-letter' (got ${describe(onInterrupted)})`, "omit it to resume (the default)");
  }
  const t = spec.timeouts ?? {};
  // Same defaults as runBatch; checked here under the job's own field names.
  const taskMs = positiveMs('job.timeouts.taskMs', t.taskMs ?? 5 * MIN, '300000 (5 min)');
  const chunkMs = positiveMs('job.timeouts.chunkMs', t.chunkMs ?? Math.max(10 * MIN, taskMs), '600000 (10 min)');
  const batchMs = positiveMs('job.timeouts.batchMs', t.batchMs ?? Math.max(120 * MIN, chunkMs), '7200000 (2 h)');
  const jobMs = positiveMs('job.timeouts.jobMs', t.jobMs ?? Math.max(180 * MIN, batchMs), '10800000 (3 h)');
  const nest = 'budgets must nest: taskMs ≤ chunkMs ≤ batchMs ≤ jobMs';
  if (taskMs > chunkMs) throw new OptionError('job.timeouts.taskMs', `(${taskMs}) exceeds job.timeouts.chunkMs (${chunkMs})`, nest);
  if (chunkMs > batchMs) throw new OptionError('job.timeouts.chunkMs', `(${chunkMs}) exceeds job.timeouts.batchMs (${batchMs})`, nest);
  if (batchMs > jobMs) throw new OptionError('job.timeouts.batchMs', `(${batchMs}) exceeds job.timeouts.jobMs (${jobMs})`, nest);
  // Everything runBatch would reject, rejected now rather than at the first fire.
  const { jobMs: _jobMs, ...batchTimeouts } = t;
  const batch = resolveOptions({ ...spec, source: [], timeouts: batchTimeouts, logger: undefined, clock: undefined, inspect: undefined });
  return {
    spec,
    id: spec.id,
    rule,
    maxInstances,
    coalesce: spec.coalesce ?? true,
    misfireGraceMs: grace,
    jobMs,
    // the batch's own stop bound (kill grace + 2 × terminate + 1 s), plus a second of margin
    releaseMs: batch.killGraceMs + 2 * batch.terminateMs + 2000,
    cooldownMs: batch.circuit.cooldownMs,
    onInterrupted,
    chunkSize: batch.chunkSize,
  };
}
