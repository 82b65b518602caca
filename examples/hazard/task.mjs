// One grid point of a yearly hazard batch: a small computation, plus a simulated
// dead database connection for the points marked `fault` (see run.ts).
// In your own project, write: import { defineTask, UnrecoverableError } from 'warden/task';
// (this example imports the build output because it runs from the repository).
import { setTimeout as sleep } from 'node:timers/promises';
import { defineTask, UnrecoverableError } from '../../dist/task.js';

/** @typedef {{ id: number, lat: number, lon: number, fault?: 'hang' | 'hang-deaf' | 'refused' }} Point */

export default defineTask(/** @param {Point} p */ async (p, ctx) => {
  if (!Number.isFinite(p.lat) || !Number.isFinite(p.lon)) throw new UnrecoverableError(`bad point ${p.id}`);

  if (p.fault === 'hang') {
    // Reconnects forever, but checks the signal: Warden's abort frees the worker, no kill.
    while (true) await sleep(50, undefined, { signal: ctx.signal });
  }
  if (p.fault === 'hang-deaf') {
    // Reconnects forever and ignores the signal: after killGraceMs the thread is terminated.
    while (true) await sleep(50);
  }
  if (p.fault === 'refused') {
    // A connection-type code: counts toward the circuit breaker.
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  }

  // Annual rate of exceeding a ground-motion level, and the 50-year probability P(H).
  const d2 = (p.lat - 37.5) ** 2 + (p.lon - 127) ** 2;
  const rate = 0.002 * Math.exp(-d2 / 2);
  const p50 = 1 - Math.exp(-rate * 50);
  // A real task writes its own result, keyed so that a second attempt overwrites the
  // first (an upsert on ctx.key): Warden does not send return values back.
  ctx.log.debug('computed', { key: ctx.key, rate, p50 });
});
