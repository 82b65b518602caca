// The demo's task module: one grid point of a (pretend) hazard time series, read from a
// (pretend) database. It runs in a worker thread as shipped (plain JavaScript).
import { setTimeout as sleep } from 'node:timers/promises';
import { UnrecoverableError } from '../errors/UnrecoverableError.js';

/** @param {import('./demoGrid.js').DemoPoint} point @param {import('../taskContext.js').TaskContext} ctx */
export default async function hazardPoint(point, ctx) {
  switch (point.fault) {
    case 'dead-db': // the postmortem: a query on a connection that is already closed, awaited forever (the signal is ignored)
      return new Promise(() => {});
    case 'db-down': // the database refuses connections: counts toward the circuit
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    case 'bad-data': // not retried, not counted toward the circuit
      throw new UnrecoverableError(`point ${point.lat.toFixed(1)},${point.lon.toFixed(1)} has no elevation`);
  }
  await sleep(15, undefined, { signal: ctx.signal }); // the query's round trip
  // A little real work: an exceedance probability over 1,000 simulated years.
  let exceed = 0;
  let x = Math.abs(Math.sin(point.lat * 12.9898 + point.lon * 78.233)) * 43758.5453;
  for (let year = 0; year < 1000; year++) {
    x = (x * 9301 + 49297) % 233280;
    if (x / 233280 > 0.98) exceed++;
  }
  return exceed / 1000;
}
