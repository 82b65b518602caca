// The demo's task module: one grid point of a (pretend) hazard time series. Most points
// compute in a few milliseconds; the demo's grid marks some to fail in each way Warden
// supervises. Plain JavaScript: it runs in a worker thread as shipped.
import { UnrecoverableError } from '../errors/UnrecoverableError.js';

/** @param {{ lat: number, lon: number, fault?: string }} point @param {import('../taskContext.js').TaskContext} ctx */
export default async function hazardPoint(point, ctx) {
  switch (point.fault) {
    case 'busy-loop': // a runaway computation: the event loop never comes back
      for (;;) {}
    case 'atomics-wait': // a thread blocked on a lock nobody releases
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
      return;
    case 'dead-db': // the postmortem: a query on a connection that is already closed, awaited forever
      return new Promise(() => {});
    case 'crash': // the worker dies under the task
      process.exit(1);
    case 'bad-data':
      throw new UnrecoverableError(`point ${point.lat},${point.lon} has no elevation`);
    case 'flaky-db': // the first attempt hits a reset connection; the retry succeeds
      if (ctx.attempt === 1) throw Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      break;
  }
  // A few milliseconds of real work: an exceedance probability over 1,000 simulated years.
  let exceed = 0;
  let x = Math.abs(Math.sin(point.lat * 12.9898 + point.lon * 78.233)) * 43758.5453;
  for (let year = 0; year < 1000; year++) {
    x = (x * 9301 + 49297) % 233280;
    if (x / 233280 > 0.98) exceed++;
  }
  return exceed / 1000;
}
