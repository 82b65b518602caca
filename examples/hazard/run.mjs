// A yearly hazard batch over a grid, as in the postmortem, with a few points whose
// database connection hangs. The same code as run.ts, in plain JavaScript:
//   npm run build && node examples/hazard/run.mjs [--db-down]
// In your own project, write: import { runBatch } from 'warden';
import pino from 'pino';
import { runBatch } from '../../dist/index.js';

/** @typedef {import('./task.mjs').Point} Point */

const dbDown = process.argv.includes('--db-down'); // every point after #100 gets ECONNREFUSED

/** @returns {Generator<Point>} */
function* grid() {
  for (let id = 0; id < 200; id++) {
    /** @type {Point} */
    const point = { id, lat: 33 + Math.floor(id / 20) * 0.5, lon: 124.5 + (id % 20) * 0.3 };
    if (id === 17 || id === 171) point.fault = 'hang'; // honours ctx.signal
    if (id === 63 || id === 120) point.fault = 'hang-deaf'; // ignores it: killed
    if (dbDown && id >= 100) point.fault = 'refused';
    yield point;
  }
}

/** @type {import('../../dist/index.js').DeadLetter<Point>[]} */
const letters = [];
const summary = await runBatch({
  task: new URL('./task.mjs', import.meta.url),
  source: grid(),
  key: (p) => `point-${p.id}`,
  workers: 2,
  chunkSize: 50,
  timeouts: { taskMs: 500, killGraceMs: 200 },
  onDeadLetter: (letter) => letters.push(letter),
  logger: pino({ level: process.env['WARDEN_LOG_LEVEL'] ?? 'error' }),
});

const { status, reason, total, succeeded, deadLettered, byReason, chunks, workerRestarts, durationMs } = summary;
console.log({ status, reason, total, succeeded, deadLettered, byReason, chunks, workerRestarts, durationMs });
for (const l of letters.slice(0, 10)) {
  console.log(`${l.key}\t${l.reason}\t${l.error.code}\t${l.error.message}`);
}
if (letters.length > 10) console.log(`... and ${letters.length - 10} more`);
